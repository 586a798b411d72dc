/**
 * Activities on the GitOps engine and the workloads it runs: read state, make the engine
 * act now, and wait (by watching) until it has synced a revision and the workloads are
 * healthy for a whole stability window.
 */
import * as k8s from '@kubernetes/client-node';
import { assessDeployment, type HealthStatus } from '../../src/health/index.js';
import { clusterConfig, type Clusters } from '../../src/kube/clusters.js';
import { readObject } from '../../src/kube/rest-pool.js';
import { watchUntil, WatchTimeoutError } from '../../src/kube/watch.js';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type AutoSyncPolicy, type EngineState, type PauseLease, type TargetSnapshot } from '../../workflows/types.js';
import { cancellationSignal, heartbeat } from '../heartbeat.js';
import { shaOf } from './engine.js';
import { engineFor } from './engines.js';

export interface GitOpsDeps {
  clusters: Clusters;
  /** Whether `descendant` contains `ancestor` in the target's repo: a later foreign commit still carries the revert. */
  isAncestor?: (repoUrl: string, ancestor: string, descendant: string) => Promise<boolean>;
}

export interface HealthVerdict { restored: boolean; healthyAt?: string; message: string; engineHealth: string; workloads: string[] }

const WORKLOAD_API: Record<string, { apiVersion: string; kind: string }> = {
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
};

/** Health of each workload the target lists (kubectl's rollout rules for Deployments). */
export async function workloadHealth(kc: k8s.KubeConfig, target: Pick<TargetSnapshot, 'workloads' | 'namespace'>): Promise<Array<{ ref: string; health: HealthStatus }>> {
  return Promise.all(target.workloads.map(async (ref) => {
    const [kind = '', name = ''] = ref.split('/');
    const api = WORKLOAD_API[kind]!;
    const obj = await readObject<Parameters<typeof assessDeployment>[0]>(kc, api.apiVersion, api.kind, target.namespace, name);
    // Only Deployments have kubectl's rollout rules here; other kinds count as present = healthy.
    const health: HealthStatus = !obj ? { code: 'Missing', message: `${ref} does not exist` } : kind === 'deployment' ? assessDeployment(obj) : { code: 'Healthy', message: 'present' };
    return { ref, health };
  }));
}

export function createGitOpsActivities(deps: GitOpsDeps) {
  const engine = (target: TargetSnapshot) => engineFor(clusterConfig(deps.clusters, target.cluster), target.engine);

  return {
    async engineState(target: TargetSnapshot): Promise<EngineState> {
      return engine(target).state();
    },

    /**
     * Pauses auto-sync with a lease, refusing first when a parent (ApplicationSet, app-of-apps,
     * parent Kustomization) would turn it back on. Idempotent per run (the lease carries the run id).
     */
    async pauseAutoSync({ target, lease }: { target: TargetSnapshot; lease: PauseLease }): Promise<{ policy: AutoSyncPolicy | null }> {
      const e = engine(target);
      const info = await e.pauseInfo();
      if (info.owner && info.lease?.runId !== lease.runId) {
        throw ApplicationFailure.nonRetryable(`${target.engine.name} is managed by ${info.owner}, which would turn auto-sync back on and let Git undo the live change. Pause auto-sync on ${info.owner} first (or exclude syncPolicy from what it manages), then start again.`, FailureType.BadInput);
      }
      return { policy: await e.pauseAutoSync(lease) };
    },

    /** Watches the engine object for `holdMs` and reports whether auto-sync stayed off. */
    async verifyPauseHeld({ target, holdMs }: { target: TargetSnapshot; holdMs: number }): Promise<{ held: boolean; message: string }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const until = Date.now() + holdMs;
      return watchUntil<{ held: boolean; message: string }>(kc, e.watchPaths(), async () => {
        const info = await e.pauseInfo();
        if (info.autoSync) return { done: true, value: { held: false, message: `auto-sync of ${target.engine.name} was turned back on right after the pause${info.owner ? ` (by ${info.owner})` : ' (a parent app-of-apps, ApplicationSet or a person?)'}; nothing was patched` } };
        const left = until - Date.now();
        return left <= 0 ? { done: true, value: { held: true, message: `auto-sync stayed off for ${Math.round(holdMs / 1000)}s` } } : { done: false, recheckInMs: left };
      }, { timeoutMs: holdMs + 30_000, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() });
    },

    /** Extends the lease of the run that holds the pause (only that run's lease; another one is left alone). */
    async renewPauseLease({ target, lease }: { target: TargetSnapshot; lease: PauseLease }): Promise<{ renewed: boolean }> {
      return { renewed: await engine(target).renewLease(lease) };
    },

    /** Restores exactly the recorded policy and removes the lease; a no-op when already restored. */
    async resumeAutoSync({ target, policy }: { target: TargetSnapshot; policy: AutoSyncPolicy }): Promise<{ resumed: boolean }> {
      const e = engine(target);
      const info = await e.pauseInfo();
      if (info.autoSync && !info.lease) return { resumed: false };
      await e.resumeAutoSync(policy);
      return { resumed: true };
    },

    async requestRefresh({ target, token, revision, force }: { target: TargetSnapshot; token: string; revision?: string; force?: boolean }) {
      return engine(target).requestRefresh(token, revision, force);
    },

    async waitForSynced({ target, revision, timeoutMs }: { target: TargetSnapshot; revision: string; timeoutMs: number }): Promise<{ synced: boolean; at?: string; state: EngineState; waitedMs: number }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const started = Date.now();
      let last: EngineState | undefined;
      const contains = async (s: EngineState) => {
        if (e.syncedAt(s, revision)) return true;
        const sha = shaOf(s.syncedRevision);
        const settled = s.syncStatus === 'Synced' && s.operationPhase !== 'Running';
        return !!(settled && sha && deps.isAncestor && (await deps.isAncestor(target.repo.url, revision, sha)));
      };
      try {
        const state = await watchUntil(kc, e.watchPaths(), async () => {
          last = await e.state();
          const note = `${last.syncStatus} at ${last.syncedRevision ?? '?'}, health ${last.health}`;
          return (await contains(last)) ? { done: true, value: last, note } : { done: false, note };
        }, { timeoutMs, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() });
        return { synced: true, at: new Date().toISOString(), state, waitedMs: Date.now() - started };
      } catch (err) {
        if (err instanceof WatchTimeoutError && last) return { synced: false, state: last, waitedMs: Date.now() - started };
        throw err;
      }
    },

    async verifyHealth({ target, windowMs, timeoutMs }: { target: TargetSnapshot; windowMs: number; timeoutMs: number }): Promise<HealthVerdict> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      let healthySince: number | undefined;
      let lastMessage = 'not evaluated yet', lastEngine = 'Unknown', lastWorkloads: string[] = [];
      const watches = [...e.watchPaths(), { path: `/apis/apps/v1/namespaces/${target.namespace}/deployments` }];
      try {
        return await watchUntil<HealthVerdict>(kc, watches, async () => {
          const [state, workloads] = await Promise.all([e.state(), workloadHealth(kc, target)]);
          lastEngine = state.health;
          lastWorkloads = workloads.map((w) => `${w.ref}: ${w.health.code}${w.health.message ? ` (${w.health.message})` : ''}`);
          const probe = target.health.probeUrl ? await probeOk(target.health.probeUrl) : { ok: true, message: '' };
          const failed = workloads.find((w) => w.health.code === 'Degraded');
          const allHealthy = state.health === 'Healthy' && workloads.every((w) => w.health.code === 'Healthy') && probe.ok;
          lastMessage = allHealthy ? `engine ${state.health}; ${lastWorkloads.join('; ')}` : `engine ${state.health}${state.healthMessage ? ` (${state.healthMessage})` : ''}; ${lastWorkloads.join('; ')}${probe.ok ? '' : `; probe: ${probe.message}`}`;
          // A rollout past its progress deadline has failed (kubectl's rule): stop waiting.
          if (failed) return { done: true, value: { restored: false, message: lastMessage, engineHealth: state.health, workloads: lastWorkloads }, note: lastMessage };
          if (!allHealthy) { healthySince = undefined; return { done: false, note: lastMessage }; }
          healthySince ??= Date.now();
          const held = Date.now() - healthySince;
          if (held >= windowMs) return { done: true, value: { restored: true, healthyAt: new Date(healthySince).toISOString(), message: lastMessage, engineHealth: state.health, workloads: lastWorkloads }, note: lastMessage };
          return { done: false, recheckInMs: windowMs - held, note: `healthy for ${Math.round(held / 1000)}s of ${Math.round(windowMs / 1000)}s` };
        }, { timeoutMs, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() });
      } catch (err) {
        if (err instanceof WatchTimeoutError) return { restored: false, message: `not healthy within ${Math.round(timeoutMs / 1000)}s: ${lastMessage}`, engineHealth: lastEngine, workloads: lastWorkloads };
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
