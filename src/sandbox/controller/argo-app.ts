/**
 * The Argo CD application controller, stood in. Per Application and tick: resolve the target
 * revision (every pollInterval, or at once on the refresh annotation, which is then removed),
 * take a requested `.operation.sync`, compare desired with live, auto-sync when policy says so,
 * and write `status` through the main object (the Application CRD has no status subresource).
 * Sync and health transitions and automated syncs are reported as Events (argo-sync.ts writes
 * the completions), with Argo CD's reasons and messages.
 */
import { isDeepStrictEqual } from 'node:util';
import { ARGO_REFRESH } from '../../lib/gitops/tracking.js';
import { compareArgoApp, type ArgoComparison } from './argo-compare.js';
import { argoEvents } from './events.js';
import { appPath, failOperation, runSync, runningState, writeAppStatus, type SyncRequest } from './argo-sync.js';
import { APPLICATIONS, autoSyncEnabled, type Application, type OperationState } from './argo-types.js';
import { KubeApiError } from '../../lib/kube/rest.js';
import type { Runtime } from './runtime.js';

const REMOVE_REFRESH = { op: 'remove', path: `/metadata/annotations/${ARGO_REFRESH.replace(/\//g, '~1')}` };

interface AppMemory {
  specKey: string;
  resolvedAt: number;
  sha?: string;
  error?: string;
}

/**
 * Why auto-sync would run now, or undefined. Mirrors Argo's autoSync(): a revision is tried once;
 * self-heal only after a successful sync and the self-heal delay.
 */
export function autoSyncReason(
  app: Application,
  cmp: ArgoComparison,
  selfHealDelayMs: number,
  now: number,
): 'new-revision' | 'self-heal' | undefined {
  const automated = app.spec.syncPolicy?.automated;
  if (!automated || !autoSyncEnabled(app) || cmp.sync !== 'OutOfSync' || app.operation) return undefined;
  if (cmp.desired.length === 0 && !automated.allowEmpty) return undefined;
  // With prune off, drift that only prune could fix is left alone (Argo: "need to prune extra resources only").
  if (!automated.prune && cmp.missing.length + cmp.modified.length === 0) return undefined;
  const last = app.status?.operationState;
  if (last?.phase === 'Running') return undefined;
  if (last?.syncResult?.revision !== cmp.sha) return 'new-revision';
  if (!automated.selfHeal || last.phase !== 'Succeeded') return undefined;
  const finished = Date.parse(last.finishedAt ?? '');
  return Number.isFinite(finished) && now - finished < selfHealDelayMs ? undefined : 'self-heal';
}

/**
 * `v` without null-valued keys (a merge patch's deletions), for comparing what would be written with what is stored.
 */
function dropNulls(v: unknown): unknown {
  const text = JSON.stringify(v ?? null, (_k, x: unknown) => (x === null ? undefined : x));
  return text === undefined ? undefined : JSON.parse(text);
}

export class ArgoController {
  private readonly memory = new Map<string, AppMemory>();

  async tick(rt: Runtime): Promise<void> {
    const apps = await rt.rest.list<Application>(APPLICATIONS(rt.settings.argoNamespace));
    const seen = new Set<string>();
    for (const app of apps) {
      const key = app.metadata.uid as string;
      seen.add(key);
      try {
        await this.reconcile(rt, app, key);
      } catch (err) {
        rt.logError(err, { app: app.metadata.name }, 'reconcile failed');
      }
    }
    for (const k of this.memory.keys()) if (!seen.has(k)) this.memory.delete(k);
  }

  private async reconcile(rt: Runtime, listed: Application, key: string): Promise<void> {
    let app = listed;
    const src = app.spec.source;
    const refresh = app.metadata.annotations?.[ARGO_REFRESH];
    const specKey = JSON.stringify([src?.repoURL, src?.path, src?.targetRevision]);
    const now = rt.now();
    let mem = this.memory.get(key);
    const resolveNow =
      !mem || mem.specKey !== specKey || refresh !== undefined || now - mem.resolvedAt >= rt.settings.pollIntervalMs;
    if (resolveNow) {
      if (refresh === 'hard' && src?.repoURL) rt.dropRenders(src.repoURL);
      mem = { specKey, resolvedAt: now };
      try {
        if (!src?.repoURL) throw new Error('spec.source.repoURL is required');
        mem.sha = await rt.sources.get(src.repoURL).resolve(src.targetRevision ?? 'HEAD');
      } catch (err) {
        mem.error = (err as Error).message;
      }
      this.memory.set(key, mem);
    }
    const m = mem!;
    const requested = app.operation?.sync !== undefined;
    if (requested) {
      await this.takeOperation(rt, app, m);
      rt.snapshot.invalidate();
      app = (await rt.rest.get<Application>(appPath(app))) ?? app;
    }
    if (!m.sha) {
      await this.writeError(rt, app, m.error ?? 'target revision not resolved', refresh !== undefined);
      return;
    }
    let cmp: ArgoComparison;
    try {
      cmp = await compareArgoApp(rt, app, m.sha);
    } catch (err) {
      await this.writeError(rt, app, (err as Error).message, refresh !== undefined);
      return;
    }
    const reason = requested ? undefined : autoSyncReason(app, cmp, rt.settings.selfHealDelayMs, now);
    let refreshPending = refresh !== undefined;
    if (reason) {
      // Re-read first: a runbook may have paused auto-sync since this tick's list; syncing now
      // would undo its live patch.
      let fresh = await rt.rest.get<Application>(appPath(app));
      if (
        fresh &&
        autoSyncEnabled(fresh) &&
        !fresh.operation &&
        fresh.metadata.generation === app.metadata.generation
      ) {
        // As Argo CD, the comparison that calls for the sync is persisted (and its transitions reported) first.
        await this.writeStatus(rt, fresh, cmp, resolveNow, refreshPending);
        refreshPending = false;
        fresh = (await rt.rest.get<Application>(appPath(app))) ?? fresh;
        const automated = fresh.spec.syncPolicy!.automated!;
        const syncOptions = fresh.spec.syncPolicy?.syncOptions;
        const req: SyncRequest = {
          sha: m.sha,
          prune: automated.prune === true,
          initiatedBy: { automated: true },
          startedAt: rt.timestamp(),
          // Argo CD 3 gives automated syncs a retry limit of 5 and copies the source and sync options.
          operation: {
            initiatedBy: { automated: true },
            retry: { limit: 5 },
            sync: {
              ...(automated.prune ? { prune: true } : {}),
              revision: m.sha,
              ...(fresh.spec.source ? { source: fresh.spec.source } : {}),
              ...(syncOptions?.length ? { syncOptions } : {}),
            },
          },
        };
        rt.log.info({ app: app.metadata.name, reason, revision: m.sha }, 'auto-sync');
        await argoEvents.emit(rt, fresh, {
          type: 'Normal',
          reason: 'OperationStarted',
          message: `Initiated automated sync to '${m.sha}'`,
        });
        await writeAppStatus(rt, fresh, { operationState: runningState(req) });
        await runSync(rt, fresh, req);
        rt.snapshot.invalidate();
        app = (await rt.rest.get<Application>(appPath(app))) ?? fresh;
        cmp = await compareArgoApp(rt, app, m.sha);
      }
    }
    await this.writeStatus(rt, app, cmp, resolveNow, refreshPending);
  }

  /**
   * Takes `.operation`: marks it Running in a write conditional on the app being unchanged since
   * listed, then syncs. `.operation` stays on the app until the write that completes it.
   */
  private async takeOperation(rt: Runtime, app: Application, mem: AppMemory): Promise<void> {
    const op = app.operation!,
      sync = op.sync!;
    const src = app.spec.source;
    const initiatedBy = op.initiatedBy ?? {};
    const startedAt = rt.timestamp();
    let sha: string | undefined, error: string | undefined;
    try {
      if (!src?.repoURL) throw new Error('spec.source.repoURL is required');
      sha = sync.revision
        ? await rt.sources.get(src.repoURL).resolve(sync.revision)
        : (mem.sha ?? (await rt.sources.get(src.repoURL).resolve(src.targetRevision ?? 'HEAD')));
    } catch (err) {
      error = (err as Error).message;
    }
    const req: SyncRequest = {
      sha: sha ?? '',
      prune: sync.prune === true,
      initiatedBy,
      startedAt,
      requested: op,
      operation: { ...op, sync: { ...sync, revision: sync.revision ?? sha ?? '' }, initiatedBy, retry: op.retry ?? {} },
    };
    if (error) {
      const state: OperationState = {
        operation: req.operation,
        phase: 'Error',
        message: `ComparisonError: ${error}`,
        startedAt,
        finishedAt: rt.timestamp(),
      };
      await failOperation(rt, app, state, op);
      return;
    }
    try {
      await writeAppStatus(rt, app, { operationState: runningState(req) }, [
        { op: 'test', path: '/metadata/resourceVersion', value: app.metadata['resourceVersion'] },
      ]);
    } catch (err) {
      // changed meanwhile: look again next tick
      if (err instanceof KubeApiError && (err.status === 409 || err.status === 422)) return;
      throw err;
    }
    await runSync(rt, app, req);
  }

  private async writeStatus(
    rt: Runtime,
    app: Application,
    cmp: ArgoComparison,
    resolved: boolean,
    refresh: boolean,
  ): Promise<void> {
    const old = app.status ?? {};
    const health = {
      status: cmp.health.status,
      message: cmp.health.message || null,
      lastTransitionTime:
        old.health?.status === cmp.health.status ? (old.health.lastTransitionTime ?? rt.timestamp()) : rt.timestamp(),
    };
    // The shape Argo CD 3 writes: resource health lives in its resource tree (resourceHealthSource:
    // appTree), so status.resources has none, and the summary stays empty.
    const next: Record<string, unknown> = {
      sync: {
        status: cmp.sync,
        revision: cmp.sha,
        comparedTo: {
          source: app.spec.source,
          destination: app.spec.destination ?? {},
          ...(app.spec.ignoreDifferences ? { ignoreDifferences: app.spec.ignoreDifferences } : {}),
        },
      },
      health: dropNulls(health),
      resources: cmp.resources,
      sourceType: cmp.sourceType,
      summary: {},
      controllerNamespace: rt.settings.argoNamespace,
      resourceHealthSource: 'appTree',
      sourceHydrator: {},
      conditions: null,
    };
    const unchanged = Object.entries(next).every(([k, v]) => isDeepStrictEqual(dropNulls(v), dropNulls(old[k])));
    if (unchanged && !resolved && !refresh) return;
    next['reconciledAt'] = rt.timestamp();
    await writeAppStatus(rt, app, next, refresh ? [REMOVE_REFRESH] : []);
    await this.reportTransitions(
      rt,
      app,
      old.sync?.status,
      cmp.sync,
      old.health?.status,
      cmp.health.status,
      cmp.health.message,
    );
  }

  /** Argo CD's `ResourceUpdated` events: "Updated sync status: A -> B", "Updated health status: A -> B (message)". */
  private async reportTransitions(
    rt: Runtime,
    app: Application,
    oldSync: string | undefined,
    sync: string,
    oldHealth: string | undefined,
    health: string | undefined,
    healthMessage = '',
  ): Promise<void> {
    if ((oldSync ?? '') !== sync)
      await argoEvents.emit(rt, app, {
        type: 'Normal',
        reason: 'ResourceUpdated',
        message: `Updated sync status: ${oldSync ?? ''} -> ${sync}`,
      });
    if (health !== undefined && (oldHealth ?? '') !== health) {
      await argoEvents.emit(rt, app, {
        type: 'Normal',
        reason: 'ResourceUpdated',
        message: `Updated health status: ${oldHealth ?? ''} -> ${health}${healthMessage ? ` (${healthMessage})` : ''}`,
      });
    }
  }

  private async writeError(rt: Runtime, app: Application, message: string, refresh: boolean): Promise<void> {
    const old = app.status?.conditions?.find((c) => c.type === 'ComparisonError');
    if (old?.message === message && app.status?.sync?.status === 'Unknown' && !refresh) return;
    const condition = {
      type: 'ComparisonError',
      message,
      lastTransitionTime: old?.lastTransitionTime ?? rt.timestamp(),
    };
    const status = {
      sync: { status: 'Unknown', comparedTo: { source: app.spec.source, destination: app.spec.destination ?? {} } },
      conditions: [condition],
      reconciledAt: rt.timestamp(),
    };
    await writeAppStatus(rt, app, status, refresh ? [REMOVE_REFRESH] : []);
    await this.reportTransitions(rt, app, app.status?.sync?.status, 'Unknown', undefined, undefined);
    rt.log.warn({ app: app.metadata.name, message }, 'comparison error');
  }
}
