/**
 * Flux kustomize-controller for Kustomization, stood in. Reconciles every `spec.interval` (after a
 * failure every `retryInterval`), at once on a new `reconcile.fluxcd.io/requestedAt`, a spec
 * change, a resume or a new source artifact; never while `spec.suspend` (a requestedAt is still
 * echoed in `lastHandledReconcileAt` then, as the real controller's deferred status patch does).
 *
 * Each reconcile goes through the real controller's stages and writes: Ready Unknown +
 * Reconciling "Building manifests…", server-side apply (which corrects drift; namespaces come
 * from the app's own Namespace manifests, as Flux creates none), pruning of stale inventory
 * entries that carry its labels, and with `wait` Healthy Unknown + Reconciling "Running health
 * checks…" until every applied object is kstatus Current (kstatus.ts). A Failed object ends the
 * wait at once ("failed early due to stalled resources"), as does `spec.timeout`. The outcome is
 * recorded in the conditions, `status.history` (one entry per set of manifests, newest first) and
 * Events: Progressing (the change set, a passed health check), ReconciliationSucceeded, or a
 * Warning with the failure's reason.
 */
import { createHash } from 'node:crypto';
import { groupOf, type KubeObject } from '../../lib/gitops/render.js';
import {
  FLUX_NAME_LABEL,
  FLUX_NAMESPACE_LABEL,
  FLUX_REQUESTED_AT,
  fluxInventoryId,
  parseFluxInventoryId,
} from '../../lib/gitops/tracking.js';
import { applyObjects, deleteObject, versionOf, type ApplyResult } from './apply.js';
import { formatGoDuration, parseGoDuration } from './durations.js';
import { fluxEvents } from './events.js';
import {
  GIT_REPOSITORIES,
  KUSTOMIZATIONS,
  removeCondition,
  setCondition,
  shaOfRevision,
  upsertHistory,
  type FluxCondition,
  type GitRepository,
  type InventoryEntry,
  type Kustomization,
} from './flux-types.js';
import { kstatusOf } from './kstatus.js';
import type { Runtime } from './runtime.js';

export const FLUX_FIELD_MANAGER = 'kustomize-controller';

interface Waiting {
  revision: string;
  since: number;
  started: number;
  objects: KubeObject[];
  inventory: InventoryEntry[];
  digest: string;
  report: boolean;
}
interface KsMemory {
  at: number;
  generation: number;
  request?: string;
  artifact?: string;
  suspended: boolean;
  failed: boolean;
  waiting?: Waiting;
}

type StatusPatch = Record<string, unknown> & { conditions?: FluxCondition[] };

/** `Kind/namespace/name` (or `Kind/name`), as Flux names objects in messages. */
const fluxName = (o: KubeObject) =>
  `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export class FluxKustomizationController {
  private readonly memory = new Map<string, KsMemory>();

  async tick(rt: Runtime): Promise<void> {
    const list = await rt.rest.list<Kustomization>(KUSTOMIZATIONS(rt.settings.fluxNamespace));
    const seen = new Set<string>();
    for (const ks of list) {
      const key = ks.metadata.uid as string;
      seen.add(key);
      try {
        await this.reconcile(rt, ks, key);
      } catch (err) {
        rt.logError(err, { kustomization: ks.metadata.name }, 'kustomization reconcile failed');
      }
    }
    for (const k of this.memory.keys()) if (!seen.has(k)) this.memory.delete(k);
  }

  private async reconcile(rt: Runtime, ks: Kustomization, key: string): Promise<void> {
    const mem = this.memory.get(key);
    const requested = ks.metadata.annotations?.[FLUX_REQUESTED_AT];
    if (ks.spec.suspend) {
      if (mem) {
        mem.suspended = true;
        mem.waiting = undefined;
      } else this.memory.set(key, { at: 0, generation: -1, suspended: true, failed: false });
      if (requested !== undefined && requested !== ks.status?.lastHandledReconcileAt)
        await this.patch(rt, ks, { lastHandledReconcileAt: requested });
      return;
    }
    const now = rt.now();
    const source = await this.source(rt, ks);
    const artifact = source?.status?.artifact?.revision;
    const newRequest =
      requested !== undefined && requested !== ks.status?.lastHandledReconcileAt && requested !== mem?.request;
    const changed =
      !mem || mem.suspended || mem.generation !== ks.metadata.generation || newRequest || artifact !== mem.artifact;
    if (mem?.waiting && !changed) {
      await this.checkHealth(rt, ks, mem, mem.waiting, now);
      return;
    }
    const every =
      (mem?.failed ? parseGoDuration(ks.spec.retryInterval ?? '') : undefined) ??
      parseGoDuration(ks.spec.interval) ??
      600_000;
    if (!changed && now - mem!.at < every) return;
    const next: KsMemory = {
      at: now,
      generation: ks.metadata.generation as number,
      suspended: false,
      failed: false,
      ...(requested !== undefined ? { request: requested } : {}),
      ...(artifact ? { artifact } : {}),
    };
    this.memory.set(key, next);
    await this.apply(rt, ks, next, source);
  }

  private async source(rt: Runtime, ks: Kustomization): Promise<GitRepository | undefined> {
    if (ks.spec.sourceRef.kind !== 'GitRepository') return undefined;
    const ns = ks.spec.sourceRef.namespace ?? ks.metadata.namespace ?? rt.settings.fluxNamespace;
    return rt.rest.get<GitRepository>(`${GIT_REPOSITORIES(ns)}/${encodeURIComponent(ks.spec.sourceRef.name)}`);
  }

  private async apply(rt: Runtime, ks: Kustomization, mem: KsMemory, source: GitRepository | undefined): Promise<void> {
    const started = rt.now(),
      stamp = rt.timestamp(started),
      gen = ks.metadata.generation as number;
    let conds = ks.status?.conditions ?? [];
    const revision = source?.status?.artifact?.revision;
    const sha = shaOfRevision(revision);
    const fail = async (reason: string, message: string, extra: StatusPatch = {}) => {
      mem.failed = true;
      conds = setCondition(conds, { type: 'Ready', status: 'False', reason, message, observedGeneration: gen }, stamp);
      const reconciling = conds.find((c) => c.type === 'Reconciling');
      conds = setCondition(
        conds,
        {
          type: 'Reconciling',
          status: 'True',
          reason: 'ProgressingWithRetry',
          message: reconciling?.message ?? message,
          observedGeneration: gen,
        },
        stamp,
      );
      await this.patch(rt, ks, { ...extra, conditions: conds, ...this.handled(mem) });
      await fluxEvents.emit(rt, ks, { type: 'Warning', reason, message });
      rt.log.warn({ kustomization: ks.metadata.name, reason, message }, 'kustomization not ready');
    };
    if (ks.spec.sourceRef.kind !== 'GitRepository')
      return fail('ArtifactFailed', `source kind ${ks.spec.sourceRef.kind} is not supported by the sandbox controller`);
    if (!source || !revision || !sha)
      return fail(
        'ArtifactFailed',
        `Source artifact not found, retrying in ${ks.spec.retryInterval ?? ks.spec.interval}`,
      );

    const timeout = formatGoDuration(this.timeout(ks));
    conds = setCondition(
      conds,
      {
        type: 'Reconciling',
        status: 'True',
        reason: 'Progressing',
        message: `Building manifests for revision ${revision} with a timeout of ${timeout}`,
        observedGeneration: gen,
      },
      stamp,
    );
    conds = setCondition(
      conds,
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'Progressing',
        message: 'Reconciliation in progress',
        observedGeneration: gen,
      },
      stamp,
    );
    await this.patch(rt, ks, { lastAttemptedRevision: revision, conditions: conds });

    let objects: KubeObject[];
    try {
      objects = (await rt.render(source.spec.url, sha, ks.spec.path ?? './')).objects;
      await rt.defaultNamespace(objects, ks.spec.targetNamespace, true);
    } catch (err) {
      return fail('BuildFailed', (err as Error).message);
    }
    const digest = `sha256:${createHash('sha256').update(JSON.stringify(objects)).digest('hex')}`;
    const owner = {
      [FLUX_NAME_LABEL]: ks.metadata.name,
      [FLUX_NAMESPACE_LABEL]: ks.metadata.namespace ?? rt.settings.fluxNamespace,
    };
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...owner };
    const results = await applyObjects(rt, objects, FLUX_FIELD_MANAGER);
    const failed = results.filter((r) => r.action === 'failed');
    if (failed.length > 0) return fail('ReconciliationFailed', failed.map((r) => r.message).join('\n'));
    const inventory = objects
      .map((o) => ({
        id: fluxInventoryId({
          namespace: o.metadata.namespace ?? '',
          name: o.metadata.name,
          group: groupOf(o.apiVersion),
          kind: o.kind,
        }),
        v: versionOf(o.apiVersion),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const deleted = ks.spec.prune
      ? await this.prune(rt, ks, ks.status?.inventory?.entries ?? [], inventory, owner)
      : [];
    const changeSet = [...changes(results), ...deleted.map((d) => `${d} deleted`)];
    if (changeSet.length > 0)
      await fluxEvents.emit(rt, ks, { type: 'Normal', reason: 'Progressing', message: changeSet.join('\n') });

    const wasHealthy = conds.some((c) => c.type === 'Healthy' && c.status === 'True');
    const newRevision = ks.status?.lastAppliedRevision !== revision;
    const waiting: Waiting = {
      revision,
      since: rt.now(),
      started,
      objects,
      inventory,
      digest,
      report: !wasHealthy || (newRevision && changeSet.length > 0),
    };
    if (!ks.spec.wait) return this.succeed(rt, ks, mem, waiting, undefined);
    const message = `Running health checks for revision ${revision} with a timeout of ${timeout}`;
    conds = setCondition(
      conds,
      { type: 'Reconciling', status: 'True', reason: 'Progressing', message, observedGeneration: gen },
      stamp,
    );
    conds = setCondition(
      conds,
      { type: 'Healthy', status: 'Unknown', reason: 'Progressing', message, observedGeneration: gen },
      stamp,
    );
    mem.waiting = waiting;
    await this.patch(rt, ks, { inventory: { entries: inventory }, conditions: conds });
    await this.checkHealth(rt, { ...ks, status: { ...ks.status, conditions: conds } }, mem, waiting, rt.now());
  }

  /**
   * Deletes objects of the previous inventory that the new one lacks, when they still carry this
   * Kustomization's labels; returns their names.
   */
  private async prune(
    rt: Runtime,
    ks: Kustomization,
    old: InventoryEntry[],
    now: InventoryEntry[],
    owner: Record<string, string>,
  ): Promise<string[]> {
    const keep = new Set(now.map((e) => e.id));
    const deleted: string[] = [];
    for (const e of old) {
      const ref = keep.has(e.id) ? undefined : parseFluxInventoryId(e.id);
      if (!ref) continue;
      const apiVersion = ref.group ? `${ref.group}/${e.v}` : e.v;
      const live = await rt.snapshot
        .find({
          apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
        })
        .catch(() => undefined);
      if (!live || Object.entries(owner).some(([k, v]) => live.metadata.labels?.[k] !== v)) continue;
      await deleteObject(rt, live);
      deleted.push(fluxName(live));
      rt.log.info({ kustomization: ks.metadata.name, id: e.id }, 'garbage collected');
    }
    return deleted;
  }

  private async checkHealth(rt: Runtime, ks: Kustomization, mem: KsMemory, w: Waiting, now: number): Promise<void> {
    const states = await Promise.all(
      w.objects.map(async (o) => ({ o, state: kstatusOf(await rt.snapshot.find(o).catch(() => undefined)) })),
    );
    const failed = states.filter((s) => s.state === 'Failed');
    const pending = states.filter((s) => s.state !== 'Current');
    if (pending.length === 0) {
      mem.waiting = undefined;
      return this.succeed(rt, ks, mem, w, now - w.since);
    }
    if (failed.length === 0 && now - w.since < this.timeout(ks)) return;
    mem.waiting = undefined;
    mem.failed = true;
    const list = (xs: typeof states) => `[${xs.map((s) => `${fluxName(s.o)} status: '${s.state}'`).join(', ')}]`;
    const why =
      failed.length > 0
        ? `failed early due to stalled resources: ${list(failed)}`
        : `timeout waiting for: ${list(pending)}`;
    const message = `health check failed after ${formatGoDuration(now - w.since)}: ${why}`;
    const stamp = rt.timestamp(now),
      gen = ks.metadata.generation as number;
    let conds = ks.status?.conditions ?? [];
    const reconciling = conds.find((c) => c.type === 'Reconciling');
    conds = setCondition(
      conds,
      {
        type: 'Reconciling',
        status: 'True',
        reason: 'ProgressingWithRetry',
        message: reconciling?.message ?? message,
        observedGeneration: gen,
      },
      stamp,
    );
    conds = setCondition(
      conds,
      { type: 'Ready', status: 'False', reason: 'HealthCheckFailed', message, observedGeneration: gen },
      stamp,
    );
    conds = setCondition(
      conds,
      { type: 'Healthy', status: 'False', reason: 'HealthCheckFailed', message: why, observedGeneration: gen },
      stamp,
    );
    await this.patch(rt, ks, {
      conditions: conds,
      history: this.history(rt, ks, w, now, 'HealthCheckFailed'),
      ...this.handled(mem),
    });
    await fluxEvents.emit(rt, ks, { type: 'Warning', reason: 'HealthCheckFailed', message });
    rt.log.warn({ kustomization: ks.metadata.name, message }, 'health check failed');
  }

  private async succeed(
    rt: Runtime,
    ks: Kustomization,
    mem: KsMemory,
    w: Waiting,
    healthMs: number | undefined,
  ): Promise<void> {
    const now = rt.now(),
      stamp = rt.timestamp(now),
      gen = ks.metadata.generation as number;
    let conds = removeCondition(ks.status?.conditions ?? [], 'Reconciling');
    conds = setCondition(
      conds,
      {
        type: 'Ready',
        status: 'True',
        reason: 'ReconciliationSucceeded',
        message: `Applied revision: ${w.revision}`,
        observedGeneration: gen,
      },
      stamp,
    );
    const passed = healthMs === undefined ? undefined : `Health check passed in ${formatGoDuration(healthMs)}`;
    conds =
      passed === undefined
        ? removeCondition(conds, 'Healthy')
        : setCondition(
            conds,
            { type: 'Healthy', status: 'True', reason: 'Succeeded', message: passed, observedGeneration: gen },
            stamp,
          );
    await this.patch(rt, ks, {
      lastAppliedRevision: w.revision,
      lastAttemptedRevision: w.revision,
      observedGeneration: gen,
      inventory: { entries: w.inventory },
      conditions: conds,
      history: this.history(rt, ks, w, now, 'ReconciliationSucceeded'),
      ...this.handled(mem),
    });
    if (passed && w.report) await fluxEvents.emit(rt, ks, { type: 'Normal', reason: 'Progressing', message: passed });
    const every = formatGoDuration(parseGoDuration(ks.spec.interval) ?? 600_000);
    await fluxEvents.emit(rt, ks, {
      type: 'Normal',
      reason: 'ReconciliationSucceeded',
      message: `Reconciliation finished in ${formatGoDuration(now - w.started)}, next run in ${every}`,
    });
  }

  private history(rt: Runtime, ks: Kustomization, w: Waiting, now: number, status: string) {
    return upsertHistory(
      ks.status?.history ?? [],
      w.digest,
      rt.timestamp(now),
      formatGoDuration(now - w.started),
      status,
      { revision: w.revision },
    );
  }

  private handled(mem: KsMemory): StatusPatch {
    return mem.request !== undefined ? { lastHandledReconcileAt: mem.request } : {};
  }

  private timeout(ks: Kustomization): number {
    return parseGoDuration(ks.spec.timeout ?? '') ?? parseGoDuration(ks.spec.interval) ?? 300_000;
  }

  private async patch(rt: Runtime, ks: Kustomization, status: StatusPatch): Promise<void> {
    await rt.rest.mergePatch(
      `${KUSTOMIZATIONS(ks.metadata.namespace ?? rt.settings.fluxNamespace)}` +
        `/${encodeURIComponent(ks.metadata.name)}/status`,
      { status },
    );
  }
}

/** Flux's change set lines: `Kind/namespace/name created|configured` for what the apply changed. */
function changes(results: readonly ApplyResult[]): string[] {
  return results
    .filter((r) => r.action === 'created' || r.action === 'configured')
    .map((r) => `${fluxName(r.object)} ${r.action}`);
}
