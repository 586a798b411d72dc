/**
 * Keeps the rewind_dora_* gauges current: every few minutes, the DORA keys of every configured
 * app/env over the trailing window, computed the way `rewind dora` computes them (src/lib/dora).
 * A target whose records cannot be read is left out and counted in rewind_dora_errors, so one
 * unreachable cluster does not blank the others.
 */
import type { Logger } from 'pino';
import { doraReports, doraTargets, type DoraDeps } from '../dora/index.js';
import type { DoraReport } from '../dora/model.js';
import { every } from './every.js';
import type { RewindMetrics } from './rewind-metrics.js';

export interface DoraGaugeOptions {
  deps: DoraDeps;
  metrics: Pick<RewindMetrics, 'setDora'>;
  log?: Logger;
  /** Default 5 min: the keys move with promotions and incidents, over days. */
  intervalMs?: number;
  /** Default 30 days, as `rewind dora`. */
  windowMs?: number;
  /** Default 24 h, as `rewind dora`. */
  failureWindowMs?: number;
}

export interface DoraGauge {
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export function startDoraGauge(opts: DoraGaugeOptions): DoraGauge {
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  const windowMs = opts.windowMs ?? 30 * 86_400_000;
  const failureWindowMs = opts.failureWindowMs ?? 86_400_000;
  const refresh = async () => {
    const reports: DoraReport[] = [];
    const failed: string[] = [];
    for (const [app, env] of doraTargets(opts.deps.rw.cfg, {})) {
      try {
        const from = new Date(Date.now() - windowMs);
        reports.push(...(await doraReports(opts.deps, { app, env, from, failureWindowMs })));
      } catch (err) {
        failed.push(`${app}/${env}: ${(err as Error).message}`);
      }
    }
    opts.metrics.setDora(reports, windowMs, failed.length);
    if (failed.length) opts.log?.warn({ targets: failed }, 'DORA metrics: some targets could not be read');
  };
  const timer = every(intervalMs, refresh, (err) => opts.log?.warn({ err }, 'DORA metrics: refresh failed'));
  return { refresh, stop: () => timer.stop() };
}
