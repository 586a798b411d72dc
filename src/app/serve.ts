/**
 * rewind in production: the worker (and the Slack app when SLACK_BOT_TOKEN and either
 * SLACK_APP_TOKEN, for Socket Mode, or SLACK_SIGNING_SECRET, for HTTP, are set), plus /healthz, /readyz and /metrics
 * for the orchestrator and Prometheus, all on the probe port (REWIND_PROBE_PORT, 8081).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../lib/config/load.js';
import { GitSourceCache } from '../lib/gitops/git-source.js';
import { clustersFromConfig } from '../lib/kube/clusters.js';
import { RewindMetrics, startMetrics, type MetricsIntervals } from '../lib/metrics/index.js';
import { cacheDir } from '../lib/tools/binaries.js';
import { installTemporalRuntime } from '../lib/temporal/runtime.js';
import { connectClient, connectWorker, temporalTarget } from '../lib/temporal/connection.js';
import { createWorker } from './worker.js';
import { startSlackIfConfigured } from './slack/start.js';
import { ensureTargetWatches } from '../lib/watch/target-watches.js';

export interface ProductionOptions {
  /** Default REWIND_PROBE_PORT, else 8081; 0 picks a free port (tests). */
  probePort?: number;
  /** Git clones and caches; default REWIND_DATA_DIR, else the user cache. */
  dataDir?: string;
  /**
   * Route the Temporal SDK's logs into pino (default true). Tests whose process already runs a
   * Temporal runtime pass false.
   */
  installRuntime?: boolean;
  metricsIntervals?: MetricsIntervals;
}

export interface Production {
  probePort: number;
  worker: Worker;
  metrics: RewindMetrics;
  /** Runs the worker until shutdown(), then stops Slack, metrics, probes and connections. */
  run(): Promise<void>;
  /** Stops taking work and lets running activities finish (the worker's shutdownGraceTime). */
  shutdown(): void;
}

export async function startProduction(file: string, log: Logger, opts: ProductionOptions = {}): Promise<Production> {
  const cfg = await loadConfig(file);
  if (opts.installRuntime ?? true) installTemporalRuntime(log);
  const target = temporalTarget(cfg.temporal);
  const connection = await connectWorker(target);
  const dataDir = opts.dataDir ?? process.env.REWIND_DATA_DIR ?? path.join(cacheDir(), 'worker');
  const clusters = clustersFromConfig(cfg);
  const metrics = new RewindMetrics();
  const sources = new GitSourceCache(path.join(dataDir, 'sources'));
  const worker = await createWorker({
    connection,
    namespace: target.namespace,
    taskQueue: target.taskQueue,
    logger: log,
    deps: {
      clusters,
      sources,
      cacheDir: dataDir,
      slackToken: process.env.SLACK_BOT_TOKEN,
      metrics,
    },
  });
  const client = await connectClient(target);
  const slack = await startSlackIfConfigured({ cfg, client, taskQueue: target.taskQueue, log });
  const observed = startMetrics({
    cfg,
    clusters,
    client,
    namespace: target.namespace,
    identity: worker.options.identity,
    taskQueue: target.taskQueue,
    sources,
    log,
    metrics,
    ...(opts.metricsIntervals ? { intervals: opts.metricsIntervals } : {}),
  });
  // Not awaited: the watches are started (idempotently) while the worker comes up; a failure only
  // costs the live-edit journal.
  void ensureTargetWatches({ cfg, client, taskQueue: target.taskQueue }).then(
    (w) => log.info(w, 'target watches running'),
    (err: unknown) => log.warn({ err }, 'starting the target watches failed; live edits are not journaled'),
  );

  let ready = false;
  const probes = http.createServer((req, res) => {
    const url = (req.url ?? '').split('?')[0];
    if (url === '/metrics') {
      metrics.render().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: unknown) => {
          log.warn({ err }, 'rendering /metrics failed');
          res.writeHead(500).end('metrics unavailable');
        },
      );
      return;
    }
    const ok =
      url === '/healthz'
        ? worker.getState() !== 'FAILED'
        : url === '/readyz'
          ? ready && worker.getState() === 'RUNNING'
          : undefined;
    res
      .writeHead(ok === undefined ? 404 : ok ? 200 : 503)
      .end(ok === undefined ? 'not found' : ok ? 'ok' : 'not ready');
  });
  const wantPort = opts.probePort ?? Number(process.env.REWIND_PROBE_PORT ?? 8081);
  await new Promise<void>((resolve, reject) => {
    probes.once('error', reject);
    probes.listen(wantPort, () => {
      probes.off('error', reject);
      resolve();
    });
  });
  const probePort = (probes.address() as AddressInfo).port;

  return {
    probePort,
    worker,
    metrics,
    shutdown() {
      ready = false;
      if (worker.getState() === 'RUNNING') worker.shutdown();
    },
    async run() {
      log.info(
        {
          address: target.address,
          namespace: target.namespace,
          taskQueue: target.taskQueue,
          slack: slack?.transport ?? false,
          probePort,
          identity: worker.options.identity,
        },
        'rewind worker starting',
      );
      ready = true;
      try {
        await worker.run();
      } finally {
        ready = false;
        await slack?.stop();
        await observed.stop();
        await new Promise<void>((resolve) => probes.close(() => resolve()));
        await connection.close();
        await client.connection.close();
        log.info('rewind stopped');
      }
    },
  };
}

export async function runProduction(file: string, log: Logger): Promise<void> {
  const prod = await startProduction(file, log);
  const shutdown = (sig: string) => {
    log.info(`${sig}: draining the worker`);
    prod.shutdown();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await prod.run();
}
