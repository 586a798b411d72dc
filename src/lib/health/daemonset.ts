/**
 * DaemonSet health with kubectl's rollout-status rules (kubectl `rollout_status.go`,
 * DaemonSetStatusViewer), messages as kubectl prints them.
 */
import type { HealthStatus } from './types.js';

export interface DaemonSetLike {
  metadata?: { name?: string; generation?: number };
  spec?: { updateStrategy?: { type?: string } };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberReady?: number;
  };
}

export function assessDaemonSet(d: DaemonSetLike): HealthStatus {
  const st = d.status ?? {};
  const name = d.metadata?.name ?? '';
  const desired = st.desiredNumberScheduled ?? 0;
  if (d.spec?.updateStrategy?.type === 'OnDelete') {
    const ready = st.numberReady ?? 0;
    return ready >= desired
      ? { code: 'Healthy', message: '' }
      : {
          code: 'Progressing',
          message:
            `Waiting for daemon set "${name}": ${ready} of ${desired} pods ` +
            `are ready (OnDelete: pods update only when deleted)...`,
        };
  }
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { code: 'Progressing', message: 'Waiting for daemon set spec update to be observed...' };
  }
  const updated = st.updatedNumberScheduled ?? 0,
    available = st.numberAvailable ?? 0;
  if (updated < desired)
    return {
      code: 'Progressing',
      message:
        `Waiting for daemon set "${name}" rollout to ` +
        `finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  if (available < desired)
    return {
      code: 'Progressing',
      message:
        `Waiting for daemon set "${name}" rollout to ` +
        `finish: ${available} of ${desired} updated pods are available...`,
    };
  return { code: 'Healthy', message: '' };
}
