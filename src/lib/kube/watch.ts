/**
 * Waits for a condition on Kubernetes objects by watching them, not by sleeping: the
 * condition is evaluated at start, on every watch event, and when a deadline it asked
 * for (such as the end of a stability window) arrives. Watches that the server closes
 * are re-opened; each event also feeds the activity heartbeat.
 */
import * as k8s from '@kubernetes/client-node';
import { clusterNameOf } from './clusters.js';
import { endpointOf, watchError } from './errors.js';

export interface WatchTarget {
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
}

export type Verdict<T> = { done: true; value: T } | { done: false; recheckInMs?: number };

export interface WatchUntilOptions {
  timeoutMs: number;
  /** Called on every evaluation, e.g. to heartbeat; throwing stops the wait (cancellation). */
  onProgress?: (note: string) => void;
  signal?: AbortSignal;
  /** Sees every watched object version as it arrives, also ones that are gone by the next evaluation. */
  onEvent?: (target: WatchTarget, type: string, obj: unknown) => void;
}

export class WatchTimeoutError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly last: string,
  ) {
    super(`condition not met after ${Math.round(waitedMs / 1000)}s; last seen: ${last}`);
    this.name = 'WatchTimeoutError';
  }
}

/**
 * Opens one watch with client-node's Watch. Watch applies the KubeConfig's credentials to every
 * watch request it opens (applyToFetchOptions: exec plugins, OIDC, token files), so each re-opened
 * watch carries fresh ones; an open watch outlives the token it was opened with. `done` gets a
 * KubeApiError for an error status, like every other request rewind makes.
 */
export function openWatch<T = unknown>(
  kc: k8s.KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, obj: T) => void,
  done: (err: unknown) => void,
): Promise<AbortController> {
  const endpoint = endpointOf(kc, clusterNameOf(kc));
  return new k8s.Watch(kc).watch(path, query, onEvent, (err: unknown) =>
    done(err ? watchError(err, path, endpoint) : err),
  );
}

export async function watchUntil<T>(
  kc: k8s.KubeConfig,
  targets: WatchTarget[],
  evaluate: () => Promise<Verdict<T> & { note?: string }>,
  opts: WatchUntilOptions,
): Promise<T> {
  const started = Date.now();
  const controllers: AbortController[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const open = async (t: WatchTarget): Promise<void> => {
    if (stopped) return;
    try {
      const ctrl = await openWatch(
        kc,
        t.path,
        {
          allowWatchBookmarks: true,
          ...(t.fieldSelector ? { fieldSelector: t.fieldSelector } : {}),
          ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
        },
        (type: string, obj: unknown) => {
          opts.onEvent?.(t, type, obj);
          kick();
        },
        () => {
          if (!stopped) setTimeout(() => void open(t), 200);
        },
      );
      controllers.push(ctrl);
    } catch {
      if (!stopped) setTimeout(() => void open(t), 500);
    }
  };
  const onAbort = () => kick();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    await Promise.all(targets.map(open));
    let last = 'nothing yet';
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const verdict = await evaluate();
      last = verdict.note ?? last;
      opts.onProgress?.(last);
      if (verdict.done) return verdict.value;
      const left = opts.timeoutMs - (Date.now() - started);
      if (left <= 0) throw new WatchTimeoutError(Date.now() - started, last);
      // Events wake us early; the timer covers deadlines the condition asked for, a
      // missed event, and the heartbeat cadence.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, verdict.recheckInMs ?? 5000, 5000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    stopped = true;
    opts.signal?.removeEventListener('abort', onAbort);
    for (const c of controllers) c.abort();
  }
}
