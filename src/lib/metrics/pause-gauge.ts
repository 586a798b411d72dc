/**
 * Keeps rewind_autosync_paused* current: reads every configured target's engine object on a timer
 * (src/lib/pauses.ts listPauses, the same reading `rewind pauses` prints). A pause outlives runs, workers
 * and restarts (the lease lives on the engine object), so it is read from the cluster, not counted.
 */
import type { Logger } from 'pino';
import type { RewindConfig } from '../config/schema.js';
import type { Clusters } from '../kube/clusters.js';
import { listPauses, type PauseRow } from '../pauses.js';
import { every } from './every.js';
import type { RewindMetrics } from './rewind-metrics.js';

export interface PauseGaugeOptions {
  cfg: RewindConfig;
  clusters: Clusters;
  metrics: Pick<RewindMetrics, 'setPauses'>;
  log?: Logger;
  /** Default 60 s: a pause matters over minutes and hours, and each reading is one GET per target. */
  intervalMs?: number;
  /** Injectable for tests. */
  list?: (cfg: RewindConfig, clusters: Clusters) => Promise<PauseRow[]>;
}

export interface PauseGauge {
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export function startPauseGauge(opts: PauseGaugeOptions): PauseGauge {
  const list = opts.list ?? listPauses;
  const intervalMs = opts.intervalMs ?? 60_000;
  const refresh = async () => {
    const rows = await list(opts.cfg, opts.clusters);
    opts.metrics.setPauses(rows);
    const failed = rows.filter((r) => r.error);
    if (failed.length)
      opts.log?.warn(
        { targets: failed.map((r) => `${r.app}/${r.env}: ${r.error}`) },
        'pause metrics: some engine objects could not be read',
      );
  };
  const timer = every(intervalMs, refresh, (err) => opts.log?.warn({ err }, 'pause metrics: refresh failed'));
  return { refresh, stop: () => timer.stop() };
}
