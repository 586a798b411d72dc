/**
 * A real Prometheus in the test world (Debian's `prometheus` package, installed by
 * `npm run provision`; REWIND_PROMETHEUS points at another binary): it scrapes the workload
 * simulator's per-workload request metrics every second, keeps its TSDB in the world's
 * directory, and listens on loopback only. rewind's prometheus checks ask its HTTP API.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { executable, MissingBinaryError, onPath } from '../../lib/tools/binaries.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.js';

/** REWIND_PROMETHEUS, then `prometheus` on PATH (Debian installs /usr/bin/prometheus). */
export function findPrometheus(): string | undefined {
  const env = process.env.REWIND_PROMETHEUS;
  if (env) {
    if (!executable(env)) throw new MissingBinaryError('prometheus', `REWIND_PROMETHEUS=${env} is not executable.`);
    return env;
  }
  return onPath('prometheus') ?? ['/usr/bin/prometheus'].find(executable);
}

export function requirePrometheus(): string {
  const found = findPrometheus();
  if (!found)
    throw new MissingBinaryError(
      'prometheus',
      "Run `npm run provision` (as root it installs Debian's prometheus " +
        'package), or apt-get install prometheus, or set REWIND_PROMETHEUS.',
    );
  return found;
}

export interface PrometheusOptions {
  dir: string;
  /** `host:port` targets serving /metrics. */
  targets: string[];
  /** @default 1 */
  scrapeIntervalSeconds?: number;
}

export interface Prometheus {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  const bin = requirePrometheus();
  const dir = path.resolve(opts.dir);
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    scrape_configs: [{ job_name: 'workloads', metrics_path: '/metrics', static_configs: [{ targets: opts.targets }] }],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, stringify(config));
  const port = await freePort();
  const proc = startProcess(
    'prometheus',
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
    ],
    path.join(dir, 'prometheus.log'),
    { PATH: process.env.PATH, HOME: dir },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, 60_000, proc);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, process: proc, stop: () => proc.stop() };
}
