/**
 * Health codes and their order, as gitops-engine `pkg/health` defines them. Argo CD reports
 * these per resource and, as the worst of them, per Application.
 */

export type HealthCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** The result of one assessment; `message` says what is awaited or wrong, with numbers where there are any. */
export interface HealthStatus {
  code: HealthCode;
  message: string;
}

/** Most healthy first (gitops-engine `healthOrder`): Unknown ranks worst because nothing can be promised. */
export const HEALTH_ORDER: readonly HealthCode[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

/** Whether `candidate` is worse than `current` (gitops-engine `IsWorse`). */
export function isWorse(current: HealthCode, candidate: HealthCode): boolean {
  return HEALTH_ORDER.indexOf(candidate) > HEALTH_ORDER.indexOf(current);
}

/** The worst of `codes`; Healthy for none, as an app with nothing to assess is. */
export function worst(codes: Iterable<HealthCode>): HealthCode {
  let out: HealthCode = 'Healthy';
  for (const c of codes) if (isWorse(out, c)) out = c;
  return out;
}
