/**
 * StatefulSet health with kubectl's rollout-status rules (kubectl `rollout_status.go`,
 * StatefulSetStatusViewer), messages as kubectl prints them.
 */
import type { HealthStatus } from './types.js';

export interface StatefulSetLike {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

export function assessStatefulSet(s: StatefulSetLike): HealthStatus {
  const st = s.status ?? {};
  const want = s.spec?.replicas ?? 1;
  const ready = st.readyReplicas ?? 0;
  if (s.spec?.updateStrategy?.type === 'OnDelete') {
    // kubectl cannot follow an OnDelete rollout; readiness of every replica is what can be said.
    return ready >= want
      ? { code: 'Healthy', message: '' }
      : {
          code: 'Progressing',
          message: `Waiting for ${want - ready} pods to be ready (OnDelete: pods update only when deleted)...`,
        };
  }
  if (!st.observedGeneration || (s.metadata?.generation ?? 0) > st.observedGeneration) {
    return { code: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  }
  if (ready < want) return { code: 'Progressing', message: `Waiting for ${want - ready} pods to be ready...` };
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined && partition > 0) {
    const updated = st.updatedReplicas ?? 0;
    if (updated < want - partition)
      return {
        code: 'Progressing',
        message:
          `Waiting for partitioned roll out to finish: ${updated} out ` +
          `of ${want - partition} new pods have been updated...`,
      };
    return { code: 'Healthy', message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  }
  if (st.updateRevision !== st.currentRevision) {
    return {
      code: 'Progressing',
      message:
        `waiting for statefulset rolling update to ` +
        `complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision ?? '?'}...`,
    };
  }
  return { code: 'Healthy', message: '' };
}
