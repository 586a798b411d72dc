/**
 * Heartbeat and cancellation for long activities, usable outside an activity too (plain
 * tests and scripts call the same functions).
 */
import { Context } from '@temporalio/activity';

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function heartbeat(details?: unknown): void {
  current()?.heartbeat(details);
}

export function cancellationSignal(): AbortSignal | undefined {
  return current()?.cancellationSignal;
}

/** The heartbeat details the previous attempt of this activity left (its resume point), if any. */
export function resumePoint<T>(): T | undefined {
  return current()?.info.heartbeatDetails as T | undefined;
}

/**
 * For an activity queued behind others on the writable clone (src/lib/git/cached-clone.ts
 * WaitOptions): it heartbeats while it waits its turn, and stops waiting once cancelled.
 */
export function whileQueued(step: string): { whileWaiting: () => void; signal?: AbortSignal } {
  const signal = cancellationSignal();
  return { whileWaiting: () => heartbeat({ step, waiting: 'for the clone' }), ...(signal ? { signal } : {}) };
}
