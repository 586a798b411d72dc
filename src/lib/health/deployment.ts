/**
 * Deployment health with kubectl's rollout-status rules (kubectl `rollout_status.go`), in the
 * order and with the messages gitops-engine `health_deployment.go` uses.
 */
import type { HealthStatus } from './types.js';

type Time = string | Date | undefined;

/** The fields read; both client-node's `V1Deployment` and a raw API object fit. */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  spec?: { paused?: boolean; replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: ReadonlyArray<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastUpdateTime?: Time;
      lastTransitionTime?: Time;
    }>;
  };
}

export interface AssessOptions {
  /**
   * When the change being verified was made (ms since epoch). A ProgressDeadlineExceeded condition
   * last updated before it is history, not a verdict: the deployment controller leaves it in place
   * until the rollout completes, for minutes while crash-looping pods back off, even after a
   * correct fix. The replica counts then decide.
   */
  since?: number;
}

const timeOf = (t: Time): number | undefined =>
  t === undefined ? undefined : t instanceof Date ? t.getTime() : Date.parse(t);

export function assessDeployment(d: DeploymentLike, opts: AssessOptions = {}): HealthStatus {
  if (d.spec?.paused) return { code: 'Suspended', message: 'Deployment is paused' };
  const st = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return {
      code: 'Progressing',
      message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const at = timeOf(progressing.lastUpdateTime) ?? timeOf(progressing.lastTransitionTime);
    if (opts.since === undefined || at === undefined || at >= opts.since) {
      return { code: 'Degraded', message: `Deployment "${d.metadata?.name ?? ''}" exceeded its progress deadline` };
    }
  }
  // spec.replicas is defaulted to 1 by the apiserver; undefined only in hand-made objects.
  const want = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0,
    replicas = st.replicas ?? 0,
    available = st.availableReplicas ?? 0;
  if (updated < want)
    return {
      code: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
    };
  if (replicas > updated)
    return {
      code: 'Progressing',
      message: `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  if (available < updated)
    return {
      code: 'Progressing',
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { code: 'Healthy', message: '' };
}
