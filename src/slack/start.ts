/** Starts the Slack app next to the worker when its credentials are in the environment. */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RewindConfig } from '../config/schema.js';
import { createSlackApp } from './app.js';

export async function startSlackIfConfigured(opts: { cfg: RewindConfig; client: Client; taskQueue: string; log: Logger; slackApiUrl?: string; token?: string; signingSecret?: string; botId?: string; botUserId?: string }): Promise<{ stop(): Promise<void>; port: number } | undefined> {
  const token = opts.token ?? process.env.SLACK_BOT_TOKEN;
  const signingSecret = opts.signingSecret ?? process.env.SLACK_SIGNING_SECRET;
  if (!token || !signingSecret) {
    opts.log.info('Slack disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable /rollback');
    return undefined;
  }
  const slack = createSlackApp({
    rewind: { cfg: opts.cfg, client: opts.client, taskQueue: opts.taskQueue }, signingSecret, token, logger: opts.log,
    ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}), ...(opts.botId ? { botId: opts.botId } : {}), ...(opts.botUserId ? { botUserId: opts.botUserId } : {}),
  });
  const port = Number(process.env.SLACK_PORT ?? process.env.PORT ?? 3000);
  await slack.start(port);
  opts.log.info({ port }, 'Slack app listening on /slack/events');
  return { stop: () => slack.stop(), port };
}
