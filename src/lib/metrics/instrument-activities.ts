/**
 * Times every activity attempt on this worker. A wrapper around the functions rather than a
 * Temporal activity interceptor, because the worker's options belong to src/app/worker.ts and the
 * activities are the one thing every worker (production, tests, sandbox) builds the same way:
 * activities/index.ts wraps them when its deps carry a metrics sink.
 */
import { CancelledFailure } from '@temporalio/common';

export interface ActivityMetricsSink {
  activityFinished(activity: string, outcome: 'completed' | 'failed' | 'cancelled', seconds: number): void;
}

type AnyFn = (...args: never[]) => Promise<unknown>;

function outcomeOf(err: unknown): 'failed' | 'cancelled' {
  // Heartbeat-cancelled watches end with a CancelledFailure or an AbortError (src/lib/kube/watch.ts
  // rethrows the signal's reason).
  return err instanceof CancelledFailure || (err instanceof Error && err.name === 'AbortError')
    ? 'cancelled'
    : 'failed';
}

export function instrumentActivities<T extends Record<string, AnyFn>>(
  activities: T,
  sink: ActivityMetricsSink | undefined,
  now: () => number = performance.now.bind(performance),
): T {
  if (!sink) return activities;
  const out: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      const started = now();
      try {
        const value = await fn(...args);
        sink.activityFinished(name, 'completed', (now() - started) / 1000);
        return value;
      } catch (err) {
        sink.activityFinished(name, outcomeOf(err), (now() - started) / 1000);
        throw err;
      }
    };
  }
  return out as T;
}
