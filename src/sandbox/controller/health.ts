/**
 * The stand-in's own health assessment, written apart from rewind's (src/lib/health/) on purpose: the
 * stand-in grades rewind, so it must not share rewind's assumptions. It covers what the seeded
 * apps hold and no more:
 *
 * - Deployment: kubectl's `rollout status` rules, as Argo CD's gitops-engine applies them
 *   (paused → Suspended; a newer generation than observed, or updated/available replicas short of
 *   spec → Progressing; Progressing condition `ProgressDeadlineExceeded` → Degraded);
 * - Service of type LoadBalancer: Healthy once `status.loadBalancer.ingress` has an entry;
 * - everything else (ConfigMap, Namespace, a ClusterIP Service…): no health check, which for the
 *   app's aggregate is the same as Healthy.
 *
 * The app's health is the worst of its resources in Argo CD's order; an object Git has and the
 * cluster lacks is Missing. No StatefulSet, DaemonSet, Job, PVC, Ingress or Lua health here.
 */
import type { KubeObject } from '../../lib/gitops/render.js';

/** Argo CD's health codes. */
export const Health = {
  Healthy: 'Healthy',
  Suspended: 'Suspended',
  Progressing: 'Progressing',
  Missing: 'Missing',
  Degraded: 'Degraded',
  Unknown: 'Unknown',
} as const;
export type HealthStatus = (typeof Health)[keyof typeof Health];

/** gitops-engine's `healthOrder`: a later entry is worse. */
const ORDER: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** Whether `next` is worse than `current` (gitops-engine `IsWorse`). */
export function isWorse(current: HealthStatus, next: HealthStatus): boolean {
  return ORDER.indexOf(next) > ORDER.indexOf(current);
}

export interface ObjectHealth {
  status: HealthStatus;
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface DeploymentLike {
  metadata: { name: string; generation?: number };
  spec?: { paused?: boolean; replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

/** Deployment health by `kubectl rollout status` (gitops-engine health_deployment.go). */
export function deploymentHealth(d: DeploymentLike): ObjectHealth {
  if (d.spec?.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { status: 'Degraded', message: `Deployment "${d.metadata.name}" exceeded its progress deadline` };
  const want = d.spec?.replicas ?? 1,
    updated = s.updatedReplicas ?? 0,
    replicas = s.replicas ?? 0,
    available = s.availableReplicas ?? 0;
  if (updated < want)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
    };
  if (replicas > updated)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  if (available < updated)
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { status: 'Healthy', message: '' };
}

/** The health of one live object, or undefined when its kind has no health check here. */
export function objectHealth(o: KubeObject): ObjectHealth | undefined {
  if (o.kind === 'Deployment') return deploymentHealth(o as unknown as DeploymentLike);
  if (o.kind === 'Service' && (o['spec'] as { type?: string } | undefined)?.type === 'LoadBalancer') {
    const ingress =
      (o['status'] as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress ?? [];
    return ingress.length > 0 ? { status: 'Healthy', message: '' } : { status: 'Progressing', message: '' };
  }
  return undefined;
}
