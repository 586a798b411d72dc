/**
 * The Bolt app, with the same listeners (./listeners) behind either transport:
 * - HTTP (createSlackApp): a receiver on /slack/events (+ /healthz). Bolt verifies the signature
 *   and rejects stale timestamps; it accepts timestamps from the future, so a wrapper in front of
 *   its request listener refuses those (a captured request re-signed ahead of time could
 *   otherwise be replayed for as long as the skew allows).
 * - Socket Mode (createSlackSocketApp, ./socket-mode.ts): an outbound WebSocket to Slack opened
 *   with the app-level token, for a worker with no public ingress.
 */
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { scrubSecrets } from '../../lib/log.js';
import type { Rewind } from '../../lib/runs.js';
import { registerListeners } from './listeners/index.js';

export const EVENTS_PATH = '/slack/events';
/** Slack's own replay window, applied in both directions. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** What both transports need: who rewind is, the bot token, and where the Web API is. */
export interface SlackBaseOptions {
  rewind: Rewind;
  /** Bot token (xoxb-…); never logged. */
  token: string;
  /** With both botId and botUserId, Bolt skips auth.test at construction (tests, air-gapped starts). */
  botId?: string;
  botUserId?: string;
  /** Web API base, e.g. the loopback stand-in; default https://slack.com/api/. */
  slackApiUrl?: string;
  logger: Logger;
}

export interface SlackAppOptions extends SlackBaseOptions {
  signingSecret: string;
  /** @default 3000 */
  port?: number;
  /** Clock for the future-timestamp check (tests). */
  now?: () => number;
}

export interface SlackApp {
  app: App;
  start(port?: number): Promise<AddressInfo>;
  stop(): Promise<void>;
}

/** True when the request claims a timestamp further ahead of our clock than Slack's replay window. */
export function isFromTheFuture(req: IncomingMessage, nowMs: number): boolean {
  const raw = req.headers['x-slack-request-timestamp'];
  const ts = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(ts) && ts > Math.floor(nowMs / 1000) + MAX_CLOCK_SKEW_SECONDS;
}

/** Bolt's Logger interface over pino, scrubbing token-like text from whatever Bolt logs. */
export function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const line = (msg: unknown[]) =>
    scrubSecrets(
      msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' '),
    );
  return {
    debug: (...m: unknown[]) => logger.debug(line(m)),
    info: (...m: unknown[]) => logger.info(line(m)),
    warn: (...m: unknown[]) => logger.warn(line(m)),
    error: (...m: unknown[]) => logger.error(line(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export function createSlackApp(opts: SlackAppOptions): SlackApp {
  const logger = opts.logger.child({ component: 'slack' });
  const now = opts.now ?? Date.now;
  const receiver = new HTTPReceiver({
    signingSecret: opts.signingSecret,
    endpoints: EVENTS_PATH,
    // Ack goes out at ack() time; the listener then talks to Temporal without holding Slack's request.
    processBeforeResponse: false,
    logger: boltLogger(logger),
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req: IncomingMessage, res: ServerResponse) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        },
      },
    ],
  });
  // Wrap, don't replace: Bolt still verifies signature and staleness for everything let through.
  const boltListener = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    if (
      req.method === 'POST' &&
      new URL(req.url ?? '/', 'http://localhost').pathname === EVENTS_PATH &&
      isFromTheFuture(req, now())
    ) {
      logger.warn(
        { timestamp: req.headers['x-slack-request-timestamp'] },
        'refused a Slack request timestamped more than 5 minutes in the future',
      );
      req.resume();
      res.writeHead(401);
      res.end();
      return;
    }
    boltListener(req, res);
  };

  const app = slackBoltApp(opts, receiver, logger);
  return {
    app,
    async start(port = opts.port ?? 3000) {
      const server = await app.start(port);
      return server.address() as AddressInfo;
    },
    async stop() {
      await app.stop();
    },
  };
}

/** The Bolt app over a given receiver, with rewind's listeners and error handler: one place for both transports. */
export function slackBoltApp(opts: SlackBaseOptions, receiver: Receiver, logger: Logger): App {
  const app = new App({
    token: opts.token,
    ...(opts.botId ? { botId: opts.botId } : {}),
    ...(opts.botUserId ? { botUserId: opts.botUserId } : {}),
    receiver,
    logger: boltLogger(logger),
    ...(opts.slackApiUrl ? { clientOptions: { slackApiUrl: opts.slackApiUrl, retryConfig: { retries: 0 } } } : {}),
  });
  registerListeners(app, { rewind: opts.rewind, logger });
  app.error(async (err) => {
    logger.error(
      { err: { name: err.name, code: err.code, message: scrubSecrets(err.message) } },
      'unhandled error in a Slack listener',
    );
  });
  return app;
}
