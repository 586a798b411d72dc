/**
 * kstatus-style readiness of one applied object, as Flux's health checks ask it: `Current`,
 * `InProgress`, `Failed` or `NotFound`, derived from rewind's own health assessment.
 */
import type { KubeObject } from '../../gitops/render.js';
import { assessObject } from '../../health/assess.js';

export type KStatus = 'Current' | 'InProgress' | 'Failed' | 'NotFound';

export function workloadStatus(_desired: KubeObject, live: KubeObject | undefined): KStatus {
  if (!live) return 'NotFound';
  const h = assessObject(live);
  if (!h || h.code === 'Healthy') return 'Current';
  return h.code === 'Degraded' ? 'Failed' : 'InProgress';
}
