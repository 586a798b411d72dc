/**
 * Fakes for calling Slack listeners directly: a Rewind whose Temporal client must not be touched,
 * recording ack/respond.
 */
import type { Client } from '@temporalio/client';
import pino from 'pino';
import type { Rewind } from '../../../src/lib/runs.js';
import type { ListenerDeps } from '../../../src/app/slack/listeners/deps.js';
import { testConfig } from './config-fixture.js';

export function untouchableRewind(): Rewind & { touched: string[] } {
  const touched: string[] = [];
  const client = new Proxy(
    {},
    {
      get(_t, prop) {
        touched.push(String(prop));
        throw new Error(`Temporal client used: ${String(prop)}`);
      },
    },
  ) as Client;
  return { cfg: testConfig(), client, taskQueue: 'unit', touched };
}

export function deps(rewind: Rewind = untouchableRewind()): ListenerDeps {
  return { rewind, logger: pino({ level: 'silent' }) };
}

export interface Recorded {
  acks: unknown[];
  responses: unknown[];
  order: string[];
}

export function recorder(): Recorded & {
  ack: (r?: unknown) => Promise<void>;
  respond: (m: unknown) => Promise<never>;
} {
  const rec: Recorded = { acks: [], responses: [], order: [] };
  return {
    ...rec,
    ack: async (r?: unknown) => {
      rec.order.push('ack');
      rec.acks.push(r);
    },
    respond: async (m: unknown) => {
      rec.order.push('respond');
      rec.responses.push(m);
      return undefined as never;
    },
  };
}
