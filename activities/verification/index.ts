/**
 * Verification checks beyond Synced + Healthy (workflows/verification/types.ts): a PromQL
 * threshold held over a window, an HTTP probe held over a window, or the verdict of Argo
 * Rollouts / Flagger. One activity, `runCheck`, runs one check from `since` (the change it
 * judges) until it decides; runbook steps and the promotion watch both call it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { isNotFound } from '../../src/lib/kube/errors.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import { watchUntil, WatchTimeoutError } from '../../src/lib/kube/watch.js';
import { FailureType, type TargetSnapshot } from '../../workflows/types.js';
import {
  addSample,
  metricMessage,
  probeMessage,
  shortDuration,
  withinThreshold,
  type AnalysisCheck,
  type CheckVerdict,
  type CheckWindows,
  type MetricCheck,
  type ProbeCheck,
  type SampleState,
  type VerificationCheck,
} from '../../workflows/verification/types.js';
import { cancellationSignal, heartbeat, resumePoint } from '../heartbeat.js';
import { analysisCollection, readAnalysis } from './analysis.js';
import { instantQuery, PrometheusError } from './prometheus.js';

export interface VerificationDeps {
  clusters: Clusters;
}

export interface RunCheckInput {
  target: TargetSnapshot;
  check: VerificationCheck;
  /** ISO: the change being judged (a sync, a live patch); only evidence from then on counts. */
  since: string;
}

/** Sleeps `ms`, or less when the activity is cancelled (then throws its reason). */
function pause(ms: number): Promise<void> {
  const signal = cancellationSignal();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Sampler = () => Promise<{ state: SampleState; value?: number; note: string; fatal?: string }>;

/**
 * The window loop shared by metric and probe checks: sample every `everyMs` until a window is full
 * or `withinMs` ran out.
 */
async function judgeWindows(
  check: MetricCheck | ProbeCheck,
  sample: Sampler,
  message: (reason: CheckVerdict['reason'], w: CheckWindows, last: string) => string,
): Promise<CheckVerdict> {
  const w: CheckWindows = resumePoint<CheckWindows>() ?? { started: Date.now(), samples: 0 };
  let last = 'no sample yet';
  const verdict = (passed: boolean, reason: CheckVerdict['reason'], since?: number): CheckVerdict => ({
    name: check.name,
    kind: check.kind,
    passed,
    reason,
    message: message(reason, w, last),
    at: new Date().toISOString(),
    ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
    ...(w.last !== undefined ? { value: w.last } : {}),
    samples: w.samples,
  });
  for (;;) {
    const s = await sample();
    last = s.note;
    if (s.fatal) return { ...verdict(false, 'error'), message: `${check.name}: ${s.fatal}` };
    const now = Date.now();
    const windowStart = s.state === 'ok' ? (w.okSince ?? now) : (w.breachSince ?? now);
    const decided = addSample(w, s.state, now, check.forMs, s.value);
    heartbeat({ ...w, note: `${check.name}: ${s.note}` });
    if (decided) return verdict(decided === 'held', decided, windowStart);
    if (now - w.started >= check.withinMs) return verdict(false, 'unsettled');
    await pause(Math.min(check.everyMs, Math.max(10, w.started + check.withinMs - now)));
  }
}

async function runMetric(c: MetricCheck): Promise<CheckVerdict> {
  const worst = c.max !== undefined ? 'max' : 'min';
  return judgeWindows(
    c,
    async () => {
      try {
        const r = await instantQuery(c.url, c.query, worst);
        if (r.value === undefined) return { state: 'none', note: 'no data' };
        return {
          state: withinThreshold(c, r.value) ? 'ok' : 'breach',
          value: r.value,
          note: `${r.value}${r.series > 1 ? ` (worst of ${r.series} series: ${r.labels})` : ''}`,
        };
      } catch (err) {
        if (err instanceof PrometheusError && err.permanent)
          return { state: 'none', note: err.message, fatal: err.message };
        return { state: 'none', note: (err as Error).message };
      }
    },
    (reason, w) => metricMessage(c, reason, w.last),
  );
}

async function runProbe(c: ProbeCheck): Promise<CheckVerdict> {
  return judgeWindows(
    c,
    async () => {
      try {
        const res = await fetch(c.url, { signal: AbortSignal.timeout(Math.min(10_000, c.everyMs * 2)) });
        await res.body?.cancel();
        return { state: res.ok ? 'ok' : 'breach', note: `HTTP ${res.status}` };
      } catch (err) {
        // A probe that cannot connect is a failing service, not missing data.
        return {
          state: 'breach',
          note:
            (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message,
        };
      }
    },
    (reason, _w, last) => probeMessage(c, reason, last),
  );
}

async function runAnalysis(
  deps: VerificationDeps,
  target: TargetSnapshot,
  c: AnalysisCheck,
  sinceMs: number,
): Promise<CheckVerdict> {
  const kc = clusterConfig(deps.clusters, target.cluster);
  const rest = await restFor(kc);
  const started = resumePoint<{ started?: number }>()?.started ?? Date.now();
  const what = c.source === 'argo-rollouts' ? `Rollout ${c.object}` : `Canary ${c.object}`;
  const done = (passed: boolean, reason: CheckVerdict['reason'], note: string): CheckVerdict => ({
    name: c.name,
    kind: 'analysis',
    passed,
    reason,
    message: `${c.name}: ${note}`,
    at: new Date().toISOString(),
    samples: 1,
  });
  let path: string;
  try {
    path = await analysisCollection(rest, c, target.namespace);
  } catch (err) {
    if (isNotFound(err))
      return done(
        false,
        'error',
        `${c.source === 'argo-rollouts' ? 'Argo Rollouts (AnalysisRun)' : 'Flagger (Canary)'} is ` +
          `not installed in cluster ${target.cluster}, so ${what} has no verdict`,
      );
    throw err;
  }
  let last = 'not read yet';
  try {
    return await watchUntil<CheckVerdict>(
      kc,
      [{ path }],
      async () => {
        const r = readAnalysis(c, await rest.list(path), sinceMs);
        last = r.note;
        if (r.verdict === 'pending') return { done: false, note: r.note };
        return {
          done: true,
          value: done(r.verdict === 'passed', r.verdict === 'passed' ? 'held' : 'breached', r.note),
          note: r.note,
        };
      },
      {
        timeoutMs: Math.max(0, c.withinMs - (Date.now() - started)),
        onProgress: (note) => heartbeat({ started, note }),
        signal: cancellationSignal(),
      },
    );
  } catch (err) {
    if (err instanceof WatchTimeoutError)
      return done(false, 'unsettled', `no verdict for ${what} within ${shortDuration(c.withinMs)} (${last})`);
    throw err;
  }
}

export function createVerificationActivities(deps: VerificationDeps) {
  return {
    /**
     * Runs one verification check from `since` until it decides (see workflows/verification/types.ts):
     * passed when its condition held for its window, failed when breached for it, unsettled at
     * `within`, or an error verdict when it cannot be judged at all (a query Prometheus refuses,
     * a controller that is not installed). Heartbeats its windows, so a retry resumes them.
     */
    async runCheck({ target, check, since }: RunCheckInput): Promise<CheckVerdict> {
      const sinceMs = Date.parse(since);
      if (Number.isNaN(sinceMs))
        throw ApplicationFailure.nonRetryable(`since=${JSON.stringify(since)} is not a time`, FailureType.BadInput);
      switch (check.kind) {
        case 'prometheus':
          return runMetric(check);
        case 'http':
          return runProbe(check);
        case 'analysis':
          return runAnalysis(deps, target, check, sinceMs);
      }
    },
  };
}
