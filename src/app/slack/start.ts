/**
 * Starts the Slack app next to the worker when its credentials are in the environment:
 * - SLACK_BOT_TOKEN and SLACK_APP_TOKEN (xapp-…): Socket Mode, an outbound connection to Slack
 *   and no listening port (a worker with no public ingress);
 * - SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET: HTTP on SLACK_PORT (else PORT, else 3000), /slack/events.
 * With both an app token and a signing secret, Socket Mode wins (and says so).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RewindConfig } from '../../lib/config/schema.js';
import { createSlackApp } from './app.js';

export interface StartedSlack {
  transport: 'http' | 'socket-mode';
  stop(): Promise<void>;
  /** The HTTP port (HTTP transport only). */
  port?: number;
}

export async function startSlackIfConfigured(opts: {
  cfg: RewindConfig;
  client: Client;
  taskQueue: string;
  log: Logger;
  slackApiUrl?: string;
  token?: string;
  signingSecret?: string;
  botId?: string;
  botUserId?: string;
  /**
   * App-level token for Socket Mode; default SLACK_APP_TOKEN; false keeps HTTP whatever the
   * environment says (the sandbox).
   */
  appToken?: string | false;
  /** Base URL for apps.connections.open (a loopback stand-in); default slackApiUrl. */
  socketApiUrl?: string;
}): Promise<StartedSlack | undefined> {
  const token = opts.token ?? process.env.SLACK_BOT_TOKEN;
  const appToken = opts.appToken === false ? undefined : (opts.appToken ?? process.env.SLACK_APP_TOKEN) || undefined;
  const signingSecret = opts.signingSecret ?? process.env.SLACK_SIGNING_SECRET;
  if (!token || (!appToken && !signingSecret)) {
    opts.log.info(
      token
        ? 'Slack disabled: SLACK_BOT_TOKEN is set but neither ' +
            'SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP)'
        : 'Slack disabled: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN ' +
            '(Socket Mode) or SLACK_SIGNING_SECRET (HTTP) to enable /rollback',
    );
    return undefined;
  }
  const base = {
    rewind: { cfg: opts.cfg, client: opts.client, taskQueue: opts.taskQueue },
    token,
    logger: opts.log,
    ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
    ...(opts.botId ? { botId: opts.botId } : {}),
    ...(opts.botUserId ? { botUserId: opts.botUserId } : {}),
  };
  if (appToken) {
    if (signingSecret)
      opts.log.info('SLACK_APP_TOKEN is set: serving Slack over Socket Mode; SLACK_SIGNING_SECRET is not used');
    // Loaded only here: an HTTP-only worker never imports the Socket Mode wiring.
    const { createSlackSocketApp } = await import('./socket-mode.js');
    const slack = createSlackSocketApp({
      ...base,
      appToken,
      ...(opts.socketApiUrl ? { socketApiUrl: opts.socketApiUrl } : {}),
    });
    await slack.start();
    return { transport: 'socket-mode', stop: () => slack.stop() };
  }
  const slack = createSlackApp({ ...base, signingSecret: signingSecret! });
  const port = Number(process.env.SLACK_PORT ?? process.env.PORT ?? 3000);
  await slack.start(port);
  opts.log.info({ port }, 'Slack app listening on /slack/events');
  return { transport: 'http', stop: () => slack.stop(), port };
}
