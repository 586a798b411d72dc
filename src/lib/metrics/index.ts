/**
 * Everything behind GET /metrics of a production worker: the registry, the run collector (Temporal
 * visibility), the pause gauge (the clusters) and the DORA gauges (config repo, engines and runs),
 * and the CDEvents the run collector's sightings send when rewind.yaml names a sink.
 * src/app/serve.ts starts it; tests start it the same way.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RewindConfig } from '../config/schema.js';
import type { Clusters } from '../kube/clusters.js';
import { incidentDetected, runResolved } from '../cdevents/events.js';
import { createCDEventSink } from '../cdevents/sink.js';
import type { GitSourceCache } from '../gitops/git-source.js';
import { startDoraGauge } from './dora-gauge.js';
import { startPauseGauge } from './pause-gauge.js';
import { RewindMetrics } from './rewind-metrics.js';
import { startRunCollector } from './run-collector.js';

export { RewindMetrics, type DrillResult, type RunOutcome } from './rewind-metrics.js';
export { instrumentActivities, type ActivityMetricsSink } from './instrument-activities.js';

export interface MetricsIntervals {
  runsMs?: number;
  pausesMs?: number;
  doraMs?: number;
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
  /** The config-repo mirrors the DORA gauges read (the worker's own); without it there are no rewind_dora_* gauges. */
  sources?: GitSourceCache;
  /** The task queue the runs are on. */
  taskQueue: string;
}

export interface RunningMetrics {
  metrics: RewindMetrics;
  stop(): Promise<void>;
}

export function startMetrics(setup: MetricsSetup): RunningMetrics {
  const metrics = setup.metrics ?? new RewindMetrics();
  const log = setup.log?.child({ component: 'metrics' });
  const sink = setup.cfg.cdevents
    ? createCDEventSink({
        url: setup.cfg.cdevents.url,
        ...(setup.cfg.cdevents.tokenEnv ? { tokenEnv: setup.cfg.cdevents.tokenEnv } : {}),
        ...(log ? { log } : {}),
      })
    : undefined;
  const runs = startRunCollector({
    client: setup.client,
    ...(sink
      ? {
          events: {
            started: (input, runKey, startedAt) => {
              const e = incidentDetected(input, runKey, startedAt);
              if (e) sink.send([e]);
            },
            finished: (status, input, runKey) => sink.send(runResolved(status, input, runKey)),
          },
        }
      : {}),
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
  const dora = setup.sources
    ? startDoraGauge({
        deps: {
          rw: { cfg: setup.cfg, client: setup.client, taskQueue: setup.taskQueue },
          clusters: setup.clusters,
          sources: setup.sources,
        },
        metrics,
        ...(log ? { log } : {}),
        ...(setup.intervals?.doraMs ? { intervalMs: setup.intervals.doraMs } : {}),
      })
    : undefined;
  return {
    metrics,
    async stop() {
      await Promise.all([runs.stop(), pauses.stop(), dora?.stop()]);
      await sink?.drain();
    },
  };
}
