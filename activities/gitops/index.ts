/**
 * Activities on the GitOps engine and the workloads it runs: read state, make the engine
 * act now, and wait (by watching) until it has synced a revision and the workloads are
 * healthy for a whole stability window.
 */
import { shaOfRevision } from '../../src/lib/git/sha.js';
import type * as k8s from '@kubernetes/client-node';
import {
  assessDeployment,
  assessObject,
  type AssessableObject,
  type DeploymentLike,
  type HealthStatus,
} from '../../src/lib/health/index.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { readObject } from '../../src/lib/kube/rest-pool.js';
import { watchUntil, WatchTimeoutError } from '../../src/lib/kube/watch.js';
import { createPauseWatchActivities, heldFieldsWatch, type FieldFlip, type HeldField } from './pause-watch.js';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  type AutoSyncPolicy,
  type EngineState,
  type PauseLease,
  type SyncReport,
  type TargetSnapshot,
} from '../../workflows/types.js';
import { cancellationSignal, heartbeat, resumePoint } from '../heartbeat.js';
import { engineFor } from './engines.js';

export interface GitOpsDeps {
  clusters: Clusters;
  /** Whether `descendant` contains `ancestor` in the target's repo: a later foreign commit still carries the revert. */
  isAncestor?: (repoUrl: string, ancestor: string, descendant: string) => Promise<boolean>;
}

export interface HealthVerdict {
  restored: boolean;
  healthyAt?: string;
  message: string;
  engineHealth: string;
  workloads: string[];
  /** Set when the wait ended early on a failure that cannot recover by itself: its reason. */
  unrecoverable?: string;
}

/** "45s", "2m 5s": what a person reads for a measured duration. */
export function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
}

const WORKLOAD_API: Record<string, { apiVersion: string; kind: string }> = {
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  job: { apiVersion: 'batch/v1', kind: 'Job' },
};

/**
 * Health of each workload the target lists (kubectl's rollout rules), judging only evidence newer than `since` (ms).
 */
export async function workloadHealth(
  kc: k8s.KubeConfig,
  target: Pick<TargetSnapshot, 'workloads' | 'namespace'>,
  since?: number,
): Promise<Array<{ ref: string; health: HealthStatus }>> {
  return Promise.all(
    target.workloads.map(async (ref) => {
      const [kind = '', name = ''] = ref.split('/');
      const api = WORKLOAD_API[kind]!;
      const obj = await readObject<AssessableObject>(kc, api.apiVersion, api.kind, target.namespace, name);
      // kubectl's rollout rules per kind (src/lib/health); a Deployment's conditions older than the change are history.
      const health: HealthStatus = !obj
        ? { code: 'Missing', message: `${ref} does not exist` }
        : kind === 'deployment'
          ? assessDeployment(obj as DeploymentLike, since === undefined ? {} : { since })
          : (assessObject({ ...obj, apiVersion: api.apiVersion, kind: api.kind }) ?? {
              code: 'Unknown',
              message: `rewind cannot judge ${api.kind}`,
            });
      return { ref, health };
    }),
  );
}

export function createGitOpsActivities(deps: GitOpsDeps) {
  const engine = (target: TargetSnapshot) => engineFor(clusterConfig(deps.clusters, target.cluster), target.engine);

  /**
   * Has the engine fetch Git (refresh, or the Flux source) and waits until it knows `revision`
   * (or a descendant of it). Applies nothing, so it is safe while auto-sync is paused: the
   * emergency path runs it before the resume, or the engine's first act after the resume would be
   * to re-apply the revision it had cached, which is older than the fix.
   */
  const awaitEngineRevision = async ({
    target,
    revision,
    token,
    timeoutMs,
  }: {
    target: TargetSnapshot;
    revision: string;
    token: string;
    timeoutMs: number;
  }): Promise<{ fetched: string; annotated: string; waitedMs: number }> => {
    const kc = clusterConfig(deps.clusters, target.cluster);
    const e = engineFor(kc, target.engine);
    const started = resumePoint<{ started?: number }>()?.started ?? Date.now();
    const annotated = await e.requestFetch(token);
    const contains = async (sha: string | undefined) =>
      !!sha && (sha === revision || (!!deps.isAncestor && (await deps.isAncestor(target.repo.url, revision, sha))));
    try {
      const fetched = await watchUntil(
        kc,
        e.fetchWatchPaths(),
        async () => {
          const sha = await e.fetchedRevision();
          const note =
            `${target.engine.kind} has fetched ${sha?.slice(0, 7) ?? 'nothing yet'}, ` +
            `waiting for ${revision.slice(0, 7)}`;
          return (await contains(sha)) ? { done: true, value: sha!, note } : { done: false, note };
        },
        {
          timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)),
          onProgress: (note) => heartbeat({ note, started }),
          signal: cancellationSignal(),
        },
      );
      return { fetched, annotated, waitedMs: Date.now() - started };
    } catch (err) {
      if (err instanceof WatchTimeoutError) {
        throw ApplicationFailure.retryable(
          `${target.engine.name} has not fetched ${revision.slice(0, 7)} after ${Math.round(err.waitedMs / 1000)}s ` +
            `(${err.last}); check the engine's access to ${target.repo.url}`,
          FailureType.EngineBusy,
        );
      }
      throw err;
    }
  };

  return {
    ...createPauseWatchActivities(deps),

    async engineState(target: TargetSnapshot): Promise<EngineState> {
      const e = engine(target);
      const [state, dependsOn] = await Promise.all([e.state(), e.dependencies()]);
      return { ...state, ...(dependsOn.length ? { dependsOn } : {}) };
    },

    /** What the engine's last sync changed, object by object, in the engine's own words. */
    async lastSyncReport(target: TargetSnapshot): Promise<SyncReport | null> {
      return (await engine(target).lastSync()) ?? null;
    },

    /**
     * Pauses auto-sync with a lease, refusing first when a parent (ApplicationSet, app-of-apps,
     * parent Kustomization) would turn it back on. Idempotent per run (the lease carries the run id).
     */
    async pauseAutoSync({
      target,
      lease,
    }: {
      target: TargetSnapshot;
      lease: PauseLease;
    }): Promise<{ policy: AutoSyncPolicy | null }> {
      const e = engine(target);
      const info = await e.pauseInfo();
      if (info.owner && info.lease?.runId !== lease.runId) {
        throw ApplicationFailure.nonRetryable(
          `${target.engine.name} is managed by ${info.owner}, which would turn auto-sync ` +
            `back on and let Git undo the live change. Pause auto-sync on ${info.owner} first ` +
            `(or exclude syncPolicy from what it manages), then start again.`,
          FailureType.BadInput,
        );
      }
      return { policy: await e.pauseAutoSync(lease) };
    },

    /** Watches the engine object for `holdMs` and reports whether auto-sync stayed off. */
    async verifyPauseHeld({
      target,
      holdMs,
    }: {
      target: TargetSnapshot;
      holdMs: number;
    }): Promise<{ held: boolean; message: string }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const until = Date.now() + holdMs;
      return watchUntil<{ held: boolean; message: string }>(
        kc,
        e.watchPaths(),
        async () => {
          const info = await e.pauseInfo();
          if (info.autoSync)
            return {
              done: true,
              value: {
                held: false,
                message:
                  `auto-sync of ${target.engine.name} was turned back on right after the pause` +
                  `${info.owner ? ` (by ${info.owner})` : ' (a parent app-of-apps, ApplicationSet or a person?)'}` +
                  `; nothing was patched`,
              },
            };
          const left = until - Date.now();
          return left <= 0
            ? { done: true, value: { held: true, message: `auto-sync stayed off for ${Math.round(holdMs / 1000)}s` } }
            : { done: false, recheckInMs: left };
        },
        { timeoutMs: holdMs + 30_000, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() },
      );
    },

    /** Extends the lease of the run that holds the pause (only that run's lease; another one is left alone). */
    async renewPauseLease({
      target,
      lease,
    }: {
      target: TargetSnapshot;
      lease: PauseLease;
    }): Promise<{ renewed: boolean }> {
      return { renewed: await engine(target).renewLease(lease) };
    },

    /** Restores exactly the recorded policy and removes the lease; a no-op when already restored. */
    async resumeAutoSync({
      target,
      policy,
    }: {
      target: TargetSnapshot;
      policy: AutoSyncPolicy;
    }): Promise<{ resumed: boolean }> {
      const e = engine(target);
      const info = await e.pauseInfo();
      if (info.autoSync && !info.lease) return { resumed: false };
      await e.resumeAutoSync(policy);
      return { resumed: true };
    },

    awaitEngineRevision,

    async requestRefresh({
      target,
      token,
      revision,
      force,
    }: {
      target: TargetSnapshot;
      token: string;
      revision?: string;
      force?: boolean;
    }) {
      if (target.engine.kind === 'flux' && revision) {
        // Source first, and only once its artifact holds the revision, the Kustomization.
        await awaitEngineRevision({ target, revision, token, timeoutMs: 120_000 });
      }
      return engine(target).requestRefresh(token, revision, force);
    },

    /**
     * Watches the engine until it has synced `revision` (or a descendant). With `hold`, every
     * version of the patched objects seen meanwhile must keep the patched values: a sync that
     * puts an old value back, even for a second, ends the wait with `flipped`.
     */
    async waitForSynced({
      target,
      revision,
      timeoutMs,
      hold = [],
    }: {
      target: TargetSnapshot;
      revision: string;
      timeoutMs: number;
      hold?: HeldField[];
    }): Promise<{ synced: boolean; at?: string; state: EngineState; waitedMs: number; flipped?: FieldFlip }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const started = resumePoint<{ started?: number }>()?.started ?? Date.now();
      let last: EngineState | undefined;
      const fields = await heldFieldsWatch(kc, hold);
      const contains = async (s: EngineState) => {
        if (e.syncedAt(s, revision)) return true;
        const sha = shaOfRevision(s.syncedRevision);
        const settled = s.syncStatus === 'Synced' && s.operationPhase !== 'Running';
        return !!(settled && sha && deps.isAncestor && (await deps.isAncestor(target.repo.url, revision, sha)));
      };
      try {
        const state = await watchUntil(
          kc,
          [...e.watchPaths(), ...fields.targets],
          async () => {
            last = await e.state();
            const note = `${last.syncStatus} at ${last.syncedRevision ?? '?'}, health ${last.health}`;
            const f = fields.flip();
            if (f)
              return { done: true, value: last, note: `${f.object} ${f.path} went back to ${JSON.stringify(f.seen)}` };
            return (await contains(last)) ? { done: true, value: last, note } : { done: false, note };
          },
          {
            timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)),
            onProgress: (note) => heartbeat({ note, started }),
            signal: cancellationSignal(),
            onEvent: fields.onEvent,
          },
        );
        const flipped = fields.flip();
        if (flipped) return { synced: false, state, waitedMs: Date.now() - started, flipped };
        return { synced: true, at: new Date().toISOString(), state, waitedMs: Date.now() - started };
      } catch (err) {
        if (err instanceof WatchTimeoutError && last)
          return { synced: false, state: last, waitedMs: Date.now() - started };
        throw err;
      }
    },

    /**
     * Waits until the engine and every workload are Healthy for a whole window, judging only
     * evidence newer than `since` (the change being verified): a ProgressDeadlineExceeded left
     * from before a fix, or a suspended Kustomization's last verdict, is history. Within the
     * timeout Degraded is an observation, not a verdict; the wait ends early only on a failure
     * that cannot recover by itself (the engine failed to sync or build the revision), and says so.
     * The start of the healthy window is heartbeated, so a worker restart does not start it over.
     */
    async verifyHealth({
      target,
      windowMs,
      timeoutMs,
      since,
    }: {
      target: TargetSnapshot;
      windowMs: number;
      timeoutMs: number;
      since?: string;
    }): Promise<HealthVerdict> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const resumed = resumePoint<{ healthySince?: number; started?: number }>();
      const started = resumed?.started ?? Date.now();
      const sinceMs = since ? Date.parse(since) : undefined;
      let healthySince = resumed?.healthySince;
      let lastMessage = 'not evaluated yet',
        lastEngine = 'Unknown',
        lastWorkloads: string[] = [];
      const elapsed = () => formatSeconds(Date.now() - started);
      const watches = [...e.watchPaths(), { path: `/apis/apps/v1/namespaces/${target.namespace}/deployments` }];
      const progress = (note: string) => heartbeat({ note, healthySince, started });
      try {
        return await watchUntil<HealthVerdict>(
          kc,
          watches,
          async () => {
            const [state, workloads] = await Promise.all([e.state(), workloadHealth(kc, target, sinceMs)]);
            // A verdict the engine reached before the change says nothing about it (a suspended
            // Kustomization keeps its last Ready condition); the workloads decide alone then.
            const engineStale =
              sinceMs !== undefined &&
              state.healthObservedAt !== undefined &&
              Date.parse(state.healthObservedAt) < sinceMs;
            lastEngine = engineStale ? `${state.health} (from before the change, not counted)` : state.health;
            lastWorkloads = workloads.map(
              (w) => `${w.ref}: ${w.health.code}${w.health.message ? ` (${w.health.message})` : ''}`,
            );
            const probe = target.health.probeUrl ? await probeOk(target.health.probeUrl) : { ok: true, message: '' };
            const engineOk = engineStale || state.health === 'Healthy';
            const allHealthy = engineOk && workloads.every((w) => w.health.code === 'Healthy') && probe.ok;
            lastMessage =
              `engine ${lastEngine}` +
              `${!allHealthy && !engineStale && state.healthMessage ? ` (${state.healthMessage})` : ''}` +
              `; ${lastWorkloads.join('; ')}${probe.ok ? '' : `; probe: ${probe.message}`}`;
            const failure = state.failure;
            if (failure && (sinceMs === undefined || Date.parse(failure.at) >= sinceMs)) {
              const message =
                `${target.engine.kind === 'argocd' ? 'Argo CD' : 'Flux'} ${failure.reason}` +
                `${failure.revision ? ` at ${shaOfRevision(failure.revision)?.slice(0, 7) ?? failure.revision}` : ''}` +
                `: ${failure.message} (this does not recover without a ` +
                `new commit or a manual sync); ${lastWorkloads.join('; ')}`;
              return {
                done: true,
                value: {
                  restored: false,
                  message,
                  engineHealth: state.health,
                  workloads: lastWorkloads,
                  unrecoverable: failure.reason,
                },
                note: message,
              };
            }
            if (!allHealthy) {
              healthySince = undefined;
              return { done: false, note: `after ${elapsed()}: ${lastMessage}` };
            }
            healthySince ??= Date.now();
            const held = Date.now() - healthySince;
            if (held >= windowMs)
              return {
                done: true,
                value: {
                  restored: true,
                  healthyAt: new Date(healthySince).toISOString(),
                  message: lastMessage,
                  engineHealth: state.health,
                  workloads: lastWorkloads,
                },
                note: lastMessage,
              };
            return {
              done: false,
              recheckInMs: windowMs - held,
              note: `healthy for ${formatSeconds(held)} of ${formatSeconds(windowMs)}`,
            };
          },
          {
            timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)),
            onProgress: progress,
            signal: cancellationSignal(),
          },
        );
      } catch (err) {
        if (err instanceof WatchTimeoutError) {
          // Healthy when the time ran out, but not yet for the whole window: say that, not "not healthy".
          const message =
            healthySince !== undefined
              ? `healthy for only ${formatSeconds(Date.now() - healthySince)} of the ${formatSeconds(windowMs)}` +
                ` window when the ${formatSeconds(timeoutMs)} timeout ran out: ${lastMessage}`
              : `not healthy after ${elapsed()}: ${lastMessage}`;
          return { restored: false, message, engineHealth: lastEngine, workloads: lastWorkloads };
        }
        throw err;
      }
    },
  };
}

async function probeOk(url: string): Promise<{ ok: boolean; message: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { ok: res.ok, message: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
