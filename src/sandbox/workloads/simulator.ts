/**
 * The workload simulator's loop: every `tickMs` it lists Deployments, Jobs, ConfigMaps and
 * Secrets across all namespaces, syncs each workload (deployment-controller.ts, job-status.ts),
 * writes the statuses that changed (merge patch on the status subresource, zeroed counters
 * nulled) and records the events. Workloads in `kube-*` namespaces and objects being deleted
 * are left alone; objects that disappear are forgotten. Polling, not watching, keeps stop()
 * trivially clean: no watch streams, one keep-alive agent destroyed on stop.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { pino, type Logger } from 'pino';
import { KubeApiError, KubeRest } from '../../lib/kube/rest.js';
import { decodeSecretData, type EnvSources } from './container-env.js';
import { REVISION_ANNOTATION, syncDeployment } from './deployment-controller.js';
import { EventRecorder, type InvolvedObject } from './events.js';
import type { FaultRule } from './faults.js';
import { syncJob, type JobModel } from './job-status.js';
import type { KubeletSettings } from './pods.js';
import type { DeploymentModel } from './replica-sets.js';
import type { DeploymentObject, JobObject, SimEvent } from './types.js';
import { requestCounters, serveMetrics } from './request-metrics.js';

export interface WorkloadSimulatorOptions {
  /** Admin client config of the API server whose workloads to run. */
  kc: KubeConfig;
  faults?: FaultRule[];
  /** How often the API is listed and statuses written. @default 250 */
  tickMs?: number;
  /**
   * Image pull and container start: from pod creation to the container reading its env (and, when
   * healthy, being ready). @default 1500
   */
  podStartMs?: number;
  /**
   * Multiplies the kubelet's CrashLoopBackOff delays (10 s, 20 s, 40 s … 300 s) and the job
   * controller's pod back-off. @default 1
   */
  backoffScale?: number;
  logger?: Logger;
  /**
   * Serve per-workload request metrics (request-metrics.ts) on loopback; each ready pod serves
   * `requestsPerSecond` (default 10).
   */
  metrics?: { requestsPerSecond?: number; port?: number };
}

export interface WorkloadSimulator {
  /** Replaces the fault rules; running pods are judged against them from the next tick. */
  setFaults(rules: FaultRule[]): void;
  /** Resolves after `n` more complete ticks; rejects once stopped. */
  waitTicks(n?: number): Promise<void>;
  /** Stops the loop after the tick in progress; leaves no timers or sockets. Idempotent. */
  stop(): Promise<void>;
  /** Completed ticks. */
  readonly tickCount: number;
  /** The /metrics URL on loopback, when started with `metrics`. */
  readonly metricsUrl?: string;
}

const FIELD_MANAGER = 'sandbox-workload-simulator';

const transient = (err: unknown): boolean => {
  const status = err instanceof KubeApiError ? err.status : 0;
  const code = (err as { code?: string }).code;
  return (
    status === 429 ||
    status >= 500 ||
    code === 'ECONNRESET' ||
    code === 'ECONNREFUSED' ||
    code === 'EPIPE' ||
    /timed out/.test((err as Error).message ?? '')
  );
};

type Data = { metadata: { name: string; namespace?: string }; data?: Record<string, string> };

function sourcesByNamespace(configMaps: Data[], secrets: Data[]): (ns: string) => EnvSources {
  const index = (items: Data[], decode: (d: Record<string, string> | undefined) => Record<string, string>) => {
    const m = new Map<string, Record<string, string>>();
    for (const o of items) m.set(`${o.metadata.namespace}/${o.metadata.name}`, decode(o.data));
    return m;
  };
  const cms = index(configMaps, (d) => d ?? {}),
    secs = index(secrets, decodeSecretData);
  return (ns) => ({ configMap: (name) => cms.get(`${ns}/${name}`), secret: (name) => secs.get(`${ns}/${name}`) });
}

export async function startWorkloadSimulator(opts: WorkloadSimulatorOptions): Promise<WorkloadSimulator> {
  const rest = await KubeRest.create(opts.kc);
  const log = (opts.logger ?? pino({ level: process.env.REWIND_LOG_LEVEL ?? 'warn' })).child({
    component: 'workload-simulator',
  });
  const recorder = new EventRecorder(rest, FIELD_MANAGER);
  const tickMs = opts.tickMs ?? 250,
    podStartMs = opts.podStartMs ?? 1500,
    backoffScale = opts.backoffScale ?? 1;
  let faults = [...(opts.faults ?? [])];
  const deployments = new Map<string, DeploymentModel>(),
    jobs = new Map<string, JobModel>();
  const counters = opts.metrics ? requestCounters(opts.metrics.requestsPerSecond) : undefined;
  const served = opts.metrics ? await serveMetrics(() => counters!.render(), opts.metrics.port) : undefined;
  let lastTickAt: number | undefined;

  const report = (err: unknown, ctx: Record<string, unknown>, msg: string) =>
    log[transient(err) ? 'debug' : 'warn']({ ...ctx, err: (err as Error).message }, msg);

  async function write(
    obj: InvolvedObject,
    path: string,
    current: object,
    next: object,
    events: SimEvent[],
    annotations?: Record<string, string>,
  ): Promise<void> {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (!isDeepStrictEqual(next, current) || annotations) {
      // A merge patch keeps the fields it does not name: null out the ones that went away.
      const status: Record<string, unknown> = { ...next };
      for (const k of Object.keys(current)) if (!(k in next)) status[k] = null;
      try {
        await rest.request('PATCH', `${path}/status`, {
          body: { status, ...(annotations ? { metadata: { annotations } } : {}) },
          contentType: 'application/merge-patch+json',
          query: { fieldManager: FIELD_MANAGER },
        });
      } catch (err) {
        report(err, { [obj.kind.toLowerCase()]: key }, `writing ${obj.kind} status failed`);
      }
    }
    for (const e of events) {
      try {
        await recorder.record(obj, e, Date.now());
      } catch (err) {
        report(err, { [obj.kind.toLowerCase()]: key, reason: e.reason }, 'recording an event failed');
      }
    }
  }

  async function tick(): Promise<void> {
    const [deps, jobList, configMaps, secrets] = await Promise.all([
      rest.list<DeploymentObject>('/apis/apps/v1/deployments'),
      rest.list<JobObject>('/apis/batch/v1/jobs'),
      rest.list<Data>('/api/v1/configmaps'),
      rest.list<Data>('/api/v1/secrets'),
    ]);
    const sources = sourcesByNamespace(configMaps, secrets);
    const kubelet = (ns: string): KubeletSettings => ({ sources: sources(ns), faults, podStartMs, backoffScale });
    const seenDeployments = new Set<string>(),
      seenJobs = new Set<string>();
    const now = Date.now(),
      dtMs = lastTickAt === undefined ? 0 : now - lastTickAt;
    lastTickAt = now;

    for (const d of deps) {
      const ns = d.metadata.namespace ?? 'default',
        key = `${ns}/${d.metadata.name}`;
      seenDeployments.add(key);
      if (ns.startsWith('kube-') || d.metadata.deletionTimestamp) continue;
      const r = syncDeployment(d, deployments.get(key), kubelet(ns), Date.now());
      deployments.set(key, r.model);
      counters?.count(
        ns,
        d.metadata.name,
        d.spec?.template?.metadata?.labels?.app ?? d.metadata.name,
        r.model,
        faults,
        now,
        dtMs,
      );
      const annotate =
        r.revision !== undefined && d.metadata.annotations?.[REVISION_ANNOTATION] !== r.revision
          ? { [REVISION_ANNOTATION]: r.revision }
          : undefined;
      await write(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata },
        `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(d.metadata.name)}`,
        d.status ?? {},
        r.status,
        r.events,
        annotate,
      );
    }
    for (const j of jobList) {
      const ns = j.metadata.namespace ?? 'default',
        key = `${ns}/${j.metadata.name}`;
      seenJobs.add(key);
      if (ns.startsWith('kube-') || j.metadata.deletionTimestamp) continue;
      const r = syncJob(j, jobs.get(key), kubelet(ns), Date.now());
      jobs.set(key, r.model);
      await write(
        { apiVersion: 'batch/v1', kind: 'Job', metadata: j.metadata },
        `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs/${encodeURIComponent(j.metadata.name)}`,
        j.status ?? {},
        r.status,
        r.events,
      );
    }
    for (const k of deployments.keys()) if (!seenDeployments.has(k)) deployments.delete(k);
    for (const k of jobs.keys()) if (!seenJobs.has(k)) jobs.delete(k);
  }

  let stopped = false,
    count = 0;
  let wake: (() => void) | undefined, timer: NodeJS.Timeout | undefined;
  const waiters: Array<{ at: number; resolve: () => void; reject: (e: Error) => void }> = [];

  const loop = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch (err) {
        report(err, {}, 'workload simulator tick failed');
      }
      count++;
      for (const w of waiters.splice(0)) {
        if (w.at <= count) w.resolve();
        else waiters.push(w);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, tickMs);
      });
      timer = undefined;
      wake = undefined;
    }
  })();

  return {
    get tickCount() {
      return count;
    },
    ...(served ? { metricsUrl: served.url } : {}),
    setFaults(rules) {
      faults = [...rules];
    },
    waitTicks(n = 1) {
      if (stopped) return Promise.reject(new Error('workload simulator is stopped'));
      return new Promise<void>((resolve, reject) => waiters.push({ at: count + n, resolve, reject }));
    },
    async stop() {
      if (stopped) return loop;
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      for (const w of waiters.splice(0)) w.reject(new Error('workload simulator is stopped'));
      rest.close();
      await served?.close();
    },
  };
}
