/**
 * kstatus (sigs.k8s.io/cli-utils) readiness of one applied object, as Flux's health checks
 * (`wait: true`) compute it: `Current`, `InProgress`, `Failed` or `NotFound`. The stand-in's own
 * code, independent of rewind's health assessment, and only as much of kstatus as the seeded apps
 * need:
 *
 * - generic: `metadata.generation` newer than `status.observedGeneration` → InProgress;
 * - Deployment: Progressing `ProgressDeadlineExceeded` → Failed; fewer replicas (counted,
 *   updated, ready, available) than wanted, or old replicas still terminating, or an Available
 *   condition that is not True → InProgress;
 * - every other kind is Current once it exists (kstatus also reads Ready/Reconciling/Stalled
 *   conditions of custom resources, StatefulSets, Jobs and PVCs: none are seeded).
 */
import type { KubeObject } from '../../lib/gitops/render.js';

export type KStatus = 'Current' | 'InProgress' | 'Failed' | 'NotFound';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
}
interface Status {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: Condition[];
}

export function kstatusOf(live: KubeObject | undefined): KStatus {
  if (!live) return 'NotFound';
  const status = (live['status'] ?? {}) as Status;
  const generation = live.metadata['generation'] as number | undefined;
  if (generation !== undefined && status.observedGeneration !== undefined && generation > status.observedGeneration)
    return 'InProgress';
  if (live.kind !== 'Deployment') return 'Current';
  if (status.observedGeneration === undefined) return 'InProgress';
  const cond = (t: string) => status.conditions?.find((c) => c.type === t);
  if (cond('Progressing')?.reason === 'ProgressDeadlineExceeded') return 'Failed';
  const want = (live['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
  const { replicas = 0, updatedReplicas = 0, readyReplicas = 0, availableReplicas = 0 } = status;
  if (replicas < want || updatedReplicas < want || readyReplicas < want || availableReplicas < want)
    return 'InProgress';
  if (replicas > updatedReplicas) return 'InProgress';
  const available = cond('Available');
  if (available && available.status !== 'True') return 'InProgress';
  return 'Current';
}
