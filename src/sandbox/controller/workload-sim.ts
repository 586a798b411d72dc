/**
 * The stand-in for kube-controller-manager's deployment controller and the kubelets: every tick
 * it computes each Deployment's status (rollout.ts) and writes `deployments/status` when it
 * changed. Deployments in `kube-*` namespaces are left alone.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../gitops/render.js';
import { matchFault, type FaultTarget } from './faults.js';
import { advanceRollout, rolloutStatus, withTimes, type Condition, type DeploymentObject, type Rollout } from './rollout.js';
import type { Runtime } from './runtime.js';

export class WorkloadSimulator {
  private readonly rollouts = new Map<string, Rollout>();

  async tick(rt: Runtime): Promise<void> {
    const deployments = (await rt.snapshot.list('apps/v1', 'Deployment')) as Array<KubeObject & DeploymentObject>;
    const configMaps = await rt.snapshot.list('v1', 'ConfigMap');
    const seen = new Set<string>();
    for (const d of deployments) {
      const ns = d.metadata.namespace ?? 'default';
      if (ns.startsWith('kube-') || d.metadata['deletionTimestamp']) continue;
      const key = `${ns}/${d.metadata.name}`;
      seen.add(key);
      const lookup = (name: string) => configMaps.find((c) => c.metadata.namespace === ns && c.metadata.name === name)?.['data'] as Record<string, string> | undefined;
      const fault = matchFault(d as unknown as FaultTarget, rt.faults, lookup);
      const now = rt.now();
      const rollout = advanceRollout(d, this.rollouts.get(key), fault, now);
      this.rollouts.set(key, rollout);
      const next = rolloutStatus(d, rollout, fault, now, rt.settings.rolloutDelayMs);
      if (Array.isArray(next['conditions'])) next['conditions'] = withTimes(next['conditions'] as Condition[], d.status?.conditions, rt.timestamp(now));
      const current = (d.status ?? {}) as Record<string, unknown>;
      if (isDeepStrictEqual(next, current)) continue;
      // A merge patch keeps fields it does not name: null out the counters that dropped to zero.
      const patch: Record<string, unknown> = { ...next };
      for (const k of Object.keys(current)) if (!(k in next)) patch[k] = null;
      try {
        await rt.rest.mergePatch(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(d.metadata.name)}/status`, { status: patch });
        rt.snapshot.invalidate('apps/v1', 'Deployment');
        if (fault && !current['unavailableReplicas']) rt.log.info({ deployment: key, fault: fault.name }, 'fault rule matches; pods failing');
      } catch (err) {
        rt.log.warn({ deployment: key, err: (err as Error).message }, 'writing deployment status failed');
      }
    }
    for (const key of this.rollouts.keys()) if (!seen.has(key)) this.rollouts.delete(key);
  }
}
