/**
 * Health of any object, dispatched by group and kind like gitops-engine `GetHealthCheckFunc`.
 * Kinds without a health check (ConfigMap, Secret, ServiceAccount, …) return undefined: Argo CD
 * shows no health for them and leaves them out of the app's health.
 */
import { assessDaemonSet, type DaemonSetLike } from './daemonset.js';
import { assessDeployment, type DeploymentLike } from './deployment.js';
import { assessJob, type JobLike } from './job.js';
import { assessStatefulSet, type StatefulSetLike } from './statefulset.js';
import { worst, type HealthCode, type HealthStatus } from './types.js';

/** The fields the dispatcher reads; anything with apiVersion and kind fits. */
export interface AssessableObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; generation?: number; deletionTimestamp?: unknown };
  spec?: unknown;
  status?: unknown;
}

interface ServiceLike {
  spec?: { type?: string };
  status?: { loadBalancer?: { ingress?: unknown[] } };
}

export function assessService(s: ServiceLike): HealthStatus {
  // Only a LoadBalancer waits for something outside: its ingress address.
  if (s.spec?.type === 'LoadBalancer' && (s.status?.loadBalancer?.ingress ?? []).length === 0) {
    return { code: 'Progressing', message: 'Waiting for the load balancer to get an ingress address' };
  }
  return { code: 'Healthy', message: '' };
}

/** The health of `o`, or undefined when its kind has no health check. */
export function assessObject(o: AssessableObject): HealthStatus | undefined {
  if (o.metadata?.deletionTimestamp) return { code: 'Progressing', message: 'Pending deletion' };
  const group = (o.apiVersion ?? '').includes('/') ? (o.apiVersion ?? '').split('/')[0] : '';
  if (o.kind === 'Deployment' && (group === 'apps' || group === 'extensions'))
    return assessDeployment(o as DeploymentLike);
  if (o.kind === 'StatefulSet' && group === 'apps') return assessStatefulSet(o as StatefulSetLike);
  if (o.kind === 'DaemonSet' && group === 'apps') return assessDaemonSet(o as DaemonSetLike);
  if (o.kind === 'Job' && group === 'batch') return assessJob(o as JobLike);
  if (o.kind === 'Service' && group === '') return assessService(o as ServiceLike);
  return undefined;
}

/** Health of a set of resources the way Argo CD sums an app: worst code, objects without health skipped. */
export function assessAll(statuses: ReadonlyArray<HealthStatus | undefined>): HealthStatus {
  const present = statuses.filter((s): s is HealthStatus => s !== undefined);
  const code: HealthCode = worst(present.map((s) => s.code));
  const first = present.find((s) => s.code === code && s.message !== '');
  return { code, message: code === 'Healthy' ? '' : (first?.message ?? '') };
}
