/**
 * Faults the drift and rebuild drills inject into a drill target, and the watches that time
 * how the GitOps engine answers them. Each injection returns what its cleanup needs.
 */
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import type { KubeObject } from '../../src/lib/gitops/render.js';
import { renderTarget } from '../render-target.js';
import { watchUntil, WatchTimeoutError } from '../../src/lib/kube/watch.js';
import type { TargetSnapshot } from '../../workflows/types.js';
import { engineFor } from '../gitops/engines.js';
import { cancellationSignal, heartbeat } from '../heartbeat.js';

export interface DriftInjection {
  configMap: string;
  key: string;
  original: string;
  injected: string;
  at: string;
}
export interface DriftOutcome {
  detectedAt?: string;
  healedAt?: string;
  selfHeal: boolean;
  message: string;
}

export function createWorkloadFaultActivities(deps: { clusters: Clusters; sources: GitSourceCache }) {
  const rendered = async (target: TargetSnapshot): Promise<KubeObject[]> =>
    (await renderTarget(deps.sources, target)).objects;

  return {
    /**
     * A change the emergency drill can make safely: a flag-like key of a Git-managed ConfigMap
     * (an existing key, so reverting the Git commit restores it exactly).
     */
    async harmlessChange({
      target,
      token,
    }: {
      target: TargetSnapshot;
      token: string;
    }): Promise<{ name: string; key: string; value: string }> {
      for (const o of await rendered(target)) {
        if (o.kind !== 'ConfigMap' || o.metadata.namespace !== target.namespace) continue;
        const data = (o as unknown as { data?: Record<string, string> }).data ?? {};
        const key = ['FEATURE_FLAGS', 'LOG_LEVEL'].find((k) => k in data);
        if (key)
          return {
            name: o.metadata.name,
            key,
            value: key === 'LOG_LEVEL' ? 'debug' : `rewind-drill-${token.replace(/[^a-z0-9]/gi, '').slice(-8)}`,
          };
      }
      throw new Error(
        `${target.app}/${target.env} has no ConfigMap with a FEATURE_FLAGS ` +
          `or LOG_LEVEL key: the emergency drill needs a harmless key to change`,
      );
    },

    /** Changes one value of the app's first Git-managed ConfigMap, as a hand edit would. */
    async injectDrift({ target, token }: { target: TargetSnapshot; token: string }): Promise<DriftInjection> {
      const dataOf = (o: KubeObject) => (o as unknown as { data?: Record<string, string> }).data ?? {};
      const cm = (await rendered(target)).find((o) => o.kind === 'ConfigMap' && Object.keys(dataOf(o)).length > 0);
      if (!cm) throw new Error(`${target.app}/${target.env} manages no ConfigMap with data to drift`);
      const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
      const path = `/api/v1/namespaces/${cm.metadata.namespace}/configmaps/${cm.metadata.name}`;
      const live = await rest.get<{ data?: Record<string, string> }>(path);
      const key = Object.keys(dataOf(cm))[0]!;
      const injected = `rewind-drill-${token.replace(/[^a-z0-9]/gi, '').slice(-12)}`;
      const original = live?.data?.[key] ?? '';
      if (original !== injected) await rest.mergePatch(path, { data: { [key]: injected } });
      return {
        configMap: `${cm.metadata.namespace}/${cm.metadata.name}`,
        key,
        original: original === injected ? dataOf(cm)[key]! : original,
        injected,
        at: new Date().toISOString(),
      };
    },

    /** Times OutOfSync (Argo) and the heal (live value back); Flux reports no drift, it just corrects it. */
    async watchDrift({
      target,
      injection,
      timeoutMs,
    }: {
      target: TargetSnapshot;
      injection: DriftInjection;
      timeoutMs: number;
    }): Promise<DriftOutcome> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const rest = await restFor(kc);
      const engine = engineFor(kc, target.engine);
      const [ns, name] = injection.configMap.split('/') as [string, string];
      const state0 = await engine.state();
      const selfHeal =
        target.engine.kind === 'flux'
          ? !!state0.autoSync
          : !!(state0.autoSync?.engine === 'argocd' && state0.autoSync.automated.selfHeal);
      const out: DriftOutcome = { selfHeal, message: '' };
      try {
        return await watchUntil<DriftOutcome>(
          kc,
          [
            ...engine.watchPaths(),
            { path: `/api/v1/namespaces/${ns}/configmaps`, fieldSelector: `metadata.name=${name}` },
          ],
          async () => {
            const [state, live] = await Promise.all([
              engine.state(),
              rest.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`),
            ]);
            const now = new Date().toISOString();
            if (!out.detectedAt && state.syncStatus === 'OutOfSync') out.detectedAt = now;
            if (live?.data?.[injection.key] !== injection.injected) {
              out.healedAt = now;
              out.detectedAt ??= now; // Flux: the correction is the detection
              return {
                done: true,
                value: {
                  ...out,
                  message:
                    `healed by the engine (${injection.key} is ` +
                    `${JSON.stringify(live?.data?.[injection.key])} again)`,
                },
              };
            }
            if (out.detectedAt && !selfHeal)
              return {
                done: true,
                value: {
                  ...out,
                  message: 'drift detected (OutOfSync); self-heal is off for this app, so it stays until someone syncs',
                },
              };
            return { done: false, note: `${state.syncStatus}; ${injection.key}=${live?.data?.[injection.key]}` };
          },
          { timeoutMs, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() },
        );
      } catch (err) {
        if (err instanceof WatchTimeoutError)
          return {
            ...out,
            message: `not healed within ${Math.round(timeoutMs / 1000)}s${out.detectedAt ? '' : ', not even detected'}`,
          };
        throw err;
      }
    },

    /** Puts a drifted value back by hand (cleanup); a no-op when the engine already did. */
    async restoreDrift({
      target,
      injection,
    }: {
      target: TargetSnapshot;
      injection: DriftInjection;
    }): Promise<{ restored: boolean }> {
      const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
      const [ns, name] = injection.configMap.split('/') as [string, string];
      const path = `/api/v1/namespaces/${ns}/configmaps/${name}`;
      const live = await rest.get<{ data?: Record<string, string> }>(path);
      if (live?.data?.[injection.key] !== injection.injected) return { restored: false };
      await rest.mergePatch(path, { data: { [injection.key]: injection.original } });
      return { restored: true };
    },

    /** Deletes every object the app renders from Git in its namespace: the "rebuild from Git" drill. */
    async deleteManagedObjects({ target }: { target: TargetSnapshot }): Promise<{ deleted: string[] }> {
      const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
      const deleted: string[] = [];
      for (const o of await rendered(target)) {
        if (o.kind === 'Namespace' || o.metadata.namespace !== target.namespace) continue;
        const path = rest.objectPath(await rest.resource(o.apiVersion, o.kind), o.metadata.namespace, o.metadata.name);
        if (await rest.get(path)) {
          await rest.delete(path);
          deleted.push(`${o.kind}/${o.metadata.name}`);
        }
      }
      return { deleted };
    },

    /** Whether every object Git renders for the app exists live again. */
    async allManagedObjectsExist({ target }: { target: TargetSnapshot }): Promise<{ missing: string[] }> {
      const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
      const missing: string[] = [];
      for (const o of await rendered(target)) {
        const path = rest.objectPath(await rest.resource(o.apiVersion, o.kind), o.metadata.namespace, o.metadata.name);
        if (!(await rest.get(path))) missing.push(`${o.kind}/${o.metadata.name}`);
      }
      return { missing };
    },
  };
}
