/**
 * Job health as gitops-engine judges it (`health_job.go`): Failed is Degraded with the
 * controller's reason, Complete is Healthy, a suspended Job is Suspended, anything else runs.
 */
import type { HealthStatus } from './types.js';

export interface JobLike {
  metadata?: { name?: string };
  spec?: { suspend?: boolean };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: ReadonlyArray<{ type?: string; status?: string; reason?: string; message?: string }>;
  };
}

export function assessJob(j: JobLike): HealthStatus {
  const cond = (type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = cond('Failed');
  if (failed)
    return {
      code: 'Degraded',
      message:
        `Job "${j.metadata?.name ?? ''}" ` +
        `failed: ${failed.reason ?? ''}${failed.message ? `: ${failed.message}` : ''}`,
    };
  if (cond('Complete')) return { code: 'Healthy', message: '' };
  if (j.spec?.suspend) return { code: 'Suspended', message: 'Job is suspended' };
  return {
    code: 'Progressing',
    message:
      `Job "${j.metadata?.name ?? ''}" is running: ${j.status?.active ?? 0} active, ` +
      `${j.status?.succeeded ?? 0} succeeded, ${j.status?.failed ?? 0} failed`,
  };
}
