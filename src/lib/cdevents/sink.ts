/**
 * Sends CDEvents to the HTTP sink rewind.yaml names (`cdevents.url`), in the CloudEvents HTTP
 * binding's binary mode (the CDEvents binding's default): the context in `ce-*` headers, the
 * whole CDEvent as the JSON body.
 *
 * Events are a report, never a step: sending never blocks the caller (one queue, in order), a
 * refused or unreachable sink is retried a few times and then logged, and the run's own record
 * in Temporal stays the source of truth. The token is read from the environment at each send and
 * never logged.
 */
import type { Logger } from 'pino';
import type { CDEvent } from './events.js';

export interface CDEventSinkOptions {
  url: string;
  /** Env var holding a bearer token for the sink. */
  tokenEnv?: string;
  log?: Logger;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Waits before the 2nd and 3rd attempts. Default 1 s, 4 s. */
  backoffMs?: readonly number[];
}

export interface CDEventSink {
  /** Queues the events; returns at once. */
  send(events: readonly CDEvent[]): void;
  /** Resolves once everything queued so far was sent or given up on. */
  drain(): Promise<void>;
}

export function cloudEventHeaders(e: CDEvent): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': e.context.id,
    'ce-source': e.context.source,
    'ce-type': e.context.type,
    'ce-subject': e.subject.id,
    'ce-time': e.context.timestamp,
  };
}

export function createCDEventSink(opts: CDEventSinkOptions): CDEventSink {
  const backoff = opts.backoffMs ?? [1000, 4000];
  let queue: Promise<void> = Promise.resolve();

  const post = async (e: CDEvent): Promise<void> => {
    const token = opts.tokenEnv ? process.env[opts.tokenEnv] : undefined;
    const res = await fetch(opts.url, {
      method: 'POST',
      headers: { ...cloudEventHeaders(e), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(e),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  };

  const deliver = async (e: CDEvent): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await post(e);
      } catch (err) {
        if (attempt >= backoff.length) {
          opts.log?.warn(
            { type: e.context.type, id: e.context.id, err: (err as Error).message },
            'CDEvents: the sink did not take the event; giving up on it',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, backoff[attempt]));
      }
    }
  };

  return {
    send(events) {
      for (const e of events) queue = queue.then(() => deliver(e));
    },
    drain: () => queue,
  };
}
