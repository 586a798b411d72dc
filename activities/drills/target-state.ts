/**
 * The drill target before and after: the Git content of the environment (tree hashes of its
 * path and every local kustomize source), the auto-sync policy and the engine's health. A drill
 * is clean only when all three are back to what they were.
 */
import { kustomizeSourcePaths } from '../../src/lib/git/kustomize-sources.js';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { watchUntil, WatchTimeoutError } from '../../src/lib/kube/watch.js';
import type { TargetSnapshot } from '../../workflows/types.js';
import type { PreDrillState } from '../../workflows/drills/types.js';
import { engineFor } from '../gitops/engines.js';
import { workloadHealth } from '../gitops/index.js';

/** Drills judge the target by its Deployments (the kinds with rollout rules). */
const deploymentsOf = (t: TargetSnapshot) => ({
  namespace: t.namespace,
  workloads: t.workloads.filter((w) => w.startsWith('deployment/')),
});
import { cancellationSignal, heartbeat } from '../heartbeat.js';

export function createTargetStateActivities(deps: { clusters: Clusters; sources: GitSourceCache }) {
  const gitState = (target: TargetSnapshot) =>
    deps.sources.get(target.repo.url).read(async (clone) => {
      const headSha = (await clone.git.raw(['rev-parse', clone.branchRef(target.repo.branch)])).trim();
      const paths = [
        ...new Set([target.path, ...(await kustomizeSourcePaths(clone.git, headSha, target.path))]),
      ].sort();
      const trees = await Promise.all(
        paths.map(async (p) => `${p}=${(await clone.git.raw(['rev-parse', `${headSha}:${p}`])).trim()}`),
      );
      return { headSha, pathTree: trees.join(',') };
    });

  const liveState = async (target: TargetSnapshot) => {
    const kc = clusterConfig(deps.clusters, target.cluster);
    const state = await engineFor(kc, target.engine).state();
    const workloads = (await workloadHealth(kc, deploymentsOf(target))).map((w) => w.health.code);
    const health =
      state.health === 'Healthy' && workloads.every((c) => c === 'Healthy')
        ? 'Healthy'
        : `${state.health} (workloads: ${workloads.join(', ')})`;
    return { autoSync: JSON.stringify(state.autoSync), health, syncStatus: state.syncStatus };
  };

  return {
    async snapshotTarget({ target }: { target: TargetSnapshot }): Promise<PreDrillState> {
      const [git, live] = await Promise.all([gitState(target), liveState(target)]);
      return { ...git, autoSync: live.autoSync, health: live.health };
    },

    /** Waits (watching) until the target is back to `before`: same Git content, same policy, Healthy and Synced. */
    async verifyPreDrillState({
      target,
      before,
      timeoutMs,
    }: {
      target: TargetSnapshot;
      before: PreDrillState;
      timeoutMs: number;
    }): Promise<{ ok: boolean; detail: string }> {
      const git = await gitState(target);
      if (git.pathTree !== before.pathTree)
        return {
          ok: false,
          detail: `Git content of ${target.path} differs from before the drill (head ${git.headSha.slice(0, 7)})`,
        };
      const kc = clusterConfig(deps.clusters, target.cluster);
      const engine = engineFor(kc, target.engine);
      try {
        return await watchUntil<{ ok: boolean; detail: string }>(
          kc,
          [...engine.watchPaths(), { path: `/apis/apps/v1/namespaces/${target.namespace}/deployments` }],
          async () => {
            const live = await liveState(target);
            const note = `policy ${live.autoSync}, ${live.syncStatus}, ${live.health}`;
            if (live.autoSync !== before.autoSync) return { done: false, note };
            if (live.health !== 'Healthy' || live.syncStatus !== 'Synced') return { done: false, note };
            return {
              done: true,
              value: {
                ok: true,
                detail:
                  `back to the pre-drill state: same Git content ` +
                  `at ${git.headSha.slice(0, 7)}, same sync policy, Synced and Healthy`,
              },
              note,
            };
          },
          { timeoutMs, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() },
        );
      } catch (err) {
        if (err instanceof WatchTimeoutError)
          return { ok: false, detail: `not back to the pre-drill state: ${err.last}` };
        throw err;
      }
    },

    /** Detection as an on-call would see it: the engine reports Degraded or a rollout fails its deadline. */
    async waitForDetection({
      target,
      timeoutMs,
    }: {
      target: TargetSnapshot;
      timeoutMs: number;
    }): Promise<{ detectedAt?: string; message: string }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const engine = engineFor(kc, target.engine);
      try {
        return await watchUntil<{ detectedAt?: string; message: string }>(
          kc,
          [...engine.watchPaths(), { path: `/apis/apps/v1/namespaces/${target.namespace}/deployments` }],
          async () => {
            const state = await engine.state();
            const failing = (await workloadHealth(kc, deploymentsOf(target)))
              .filter((w) => w.health.code === 'Degraded')
              .map((w) => `${w.ref}: ${w.health.message}`);
            const note = `engine ${state.health}${failing.length ? `; ${failing.join('; ')}` : ''}`;
            if (state.health === 'Degraded' || failing.length)
              return { done: true, value: { detectedAt: new Date().toISOString(), message: note }, note };
            return { done: false, note };
          },
          { timeoutMs, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() },
        );
      } catch (err) {
        if (err instanceof WatchTimeoutError)
          return { message: `not detected within ${Math.round(timeoutMs / 1000)}s: ${err.last}` };
        throw err;
      }
    },
  };
}
