/**
 * rewind in production: the worker (and the Slack app when SLACK_BOT_TOKEN and
 * SLACK_SIGNING_SECRET are set), plus /healthz and /readyz for the orchestrator.
 */
import http from 'node:http';
import type { Logger } from 'pino';
import path from 'node:path';
import { loadConfig } from './config/load.js';
import { GitSourceCache } from './gitops/git-source.js';
import { clustersFromConfig } from './kube/clusters.js';
import { cacheDir } from './sandbox/world/binaries.js';
import { installTemporalRuntime } from './temporal/runtime.js';
import { connectClient, connectWorker, temporalTarget } from './temporal/connection.js';
import { createWorker } from './worker.js';
import { startSlackIfConfigured } from './slack/start.js';

export async function runProduction(file: string, log: Logger): Promise<void> {
  const cfg = await loadConfig(file);
  installTemporalRuntime(log);
  const target = temporalTarget(cfg.temporal);
  const connection = await connectWorker(target);
  const dataDir = process.env.REWIND_DATA_DIR ?? path.join(cacheDir(), 'worker');
  const worker = await createWorker({
    connection, namespace: target.namespace, taskQueue: target.taskQueue, logger: log,
    deps: { clusters: clustersFromConfig(cfg), sources: new GitSourceCache(path.join(dataDir, 'sources')), cacheDir: dataDir, slackToken: process.env.SLACK_BOT_TOKEN },
  });
  const client = await connectClient(target);
  const slack = await startSlackIfConfigured({ cfg, client, taskQueue: target.taskQueue, log });

  let ready = false;
  const probes = http.createServer((req, res) => {
    const ok = req.url === '/healthz' ? worker.getState() !== 'FAILED' : req.url === '/readyz' ? ready && worker.getState() === 'RUNNING' : undefined;
    res.writeHead(ok === undefined ? 404 : ok ? 200 : 503).end(ok === undefined ? 'not found' : ok ? 'ok' : 'not ready');
  });
  const probePort = Number(process.env.REWIND_PROBE_PORT ?? 8081);
  probes.listen(probePort);

  const shutdown = (sig: string) => { log.info(`${sig}: draining the worker`); ready = false; worker.shutdown(); };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  log.info({ address: target.address, namespace: target.namespace, taskQueue: target.taskQueue, slack: !!slack, probePort }, 'rewind worker starting');
  ready = true;
  try {
    await worker.run();
  } finally {
    await slack?.stop();
    probes.close();
    await connection.close();
    await client.connection.close();
    log.info('rewind stopped');
  }
}
