/**
 * Everything behind GET /metrics of a production worker: the registry, the run collector (Temporal
 * visibility) and the pause gauge (the clusters). src/app/serve.ts starts it; tests start it the same way.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RewindConfig } from '../config/schema.js';
import type { Clusters } from '../kube/clusters.js';
import { startPauseGauge } from './pause-gauge.js';
import { RewindMetrics } from './rewind-metrics.js';
import { startRunCollector } from './run-collector.js';

export { RewindMetrics, type DrillResult, type RunOutcome } from './rewind-metrics.js';
export { instrumentActivities, type ActivityMetricsSink } from './instrument-activities.js';

export interface MetricsIntervals {
  runsMs?: number;
  pausesMs?: number;
}

export interface MetricsSetup {
  cfg: RewindConfig;
  clusters: Clusters;
  client: Client;
  namespace: string;
  /** The worker's identity: runs are counted by the worker that executed them. */
  identity: string;
  log?: Logger;
  intervals?: MetricsIntervals;
  metrics?: RewindMetrics;
}

export interface RunningMetrics {
  metrics: RewindMetrics;
  stop(): Promise<void>;
}

export function startMetrics(setup: MetricsSetup): RunningMetrics {
  const metrics = setup.metrics ?? new RewindMetrics();
  const log = setup.log?.child({ component: 'metrics' });
  const runs = startRunCollector({
    client: setup.client,
    namespace: setup.namespace,
    identity: setup.identity,
    metrics,
    ...(log ? { log } : {}),
    ...(setup.intervals?.runsMs ? { intervalMs: setup.intervals.runsMs } : {}),
  });
  const pauses = startPauseGauge({
    cfg: setup.cfg,
    clusters: setup.clusters,
    metrics,
    ...(log ? { log } : {}),
    ...(setup.intervals?.pausesMs ? { intervalMs: setup.intervals.pausesMs } : {}),
  });
  return {
    metrics,
    async stop() {
      await Promise.all([runs.stop(), pauses.stop()]);
    },
  };
}
