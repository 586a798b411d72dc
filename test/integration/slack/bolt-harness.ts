/**
 * The REAL Bolt app (createSlackApp) over HTTP in front of a test world, and the moves a Slack
 * user makes: a signed slash command, a signed button click. Shared by the Slack integration
 * tests so each reads as the conversation it checks.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createSlackApp, type SlackApp } from '../../../src/app/slack/app.js';
import { startWorld, type World, type WorldOptions } from '../../../src/sandbox/world/index.js';
import {
  buttonBody,
  commandBody,
  nowSeconds,
  postToSlackApp,
  ResponseCatcher,
  signature,
  SIGNING_SECRET,
  type CaughtResponse,
} from './slack-requests.js';

export interface BoltHarness {
  world: World;
  responses: ResponseCatcher;
  /** Every line the Slack app logged (pino JSON). */
  logLines: string[];
  /** Sends `<name> <text>` as `userId`; returns the HTTP ack and the response_url used. */
  command(
    name: string,
    text: string,
    userId: string,
    opts?: { timestamp?: number; signature?: string },
  ): Promise<{ status: number; json?: { text?: string; response_type?: string }; responseUrl: string }>;
  /** Clicks a button of the message and returns the (first) response_url answer. */
  click(
    actionId: string,
    workflowId: string,
    userId: string,
    message: { channel: string; ts: string },
    timeoutMs?: number,
  ): Promise<CaughtResponse['body']>;
  stop(): Promise<void>;
}

export const hasButton = (blocks: unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

export async function startBoltHarness(worldOpts: WorldOptions): Promise<BoltHarness> {
  const world = await startWorld(worldOpts);
  const responses = new ResponseCatcher();
  const logLines: string[] = [];
  let slack: SlackApp | undefined;
  const stop = async () => {
    await slack?.stop().catch(() => undefined);
    await responses.stop();
    await world.stop();
  };
  try {
    await world.startWorker();
    await responses.start();
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    slack = createSlackApp({
      rewind: world.rewind(),
      signingSecret: SIGNING_SECRET,
      token: world.slack.token,
      botId: world.slack.botId,
      botUserId: world.slack.botUserId,
      slackApiUrl: world.slack.apiUrl,
      logger: pino({ level: 'debug' }, sink),
    });
    const addr = await slack.start(0);
    const events = `http://127.0.0.1:${addr.port}/slack/events`;
    return {
      world,
      responses,
      logLines,
      stop,
      async command(name, text, userId, opts = {}) {
        const responseUrl = responses.url();
        const body = commandBody(name, text, userId, responseUrl);
        const ts = opts.timestamp ?? nowSeconds();
        const res = await postToSlackApp(events, body, {
          timestamp: ts,
          signature: opts.signature ?? signature(body, ts),
        });
        return { ...res, responseUrl };
      },
      async click(actionId, workflowId, userId, message, timeoutMs) {
        const responseUrl = responses.url();
        const res = await postToSlackApp(events, buttonBody(actionId, workflowId, userId, responseUrl, message));
        assert.equal(res.status, 200, 'actions are acked at once');
        return (await responses.next(responseUrl, timeoutMs)).body;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** No error-level log lines, and neither the bot token nor the signing secret anywhere in the log. */
export function assertCleanLog(h: BoltHarness): void {
  const all = h.logLines.join('');
  assert.ok(all.length > 0, 'something was logged');
  const errors = h.logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
  assert.deepEqual(errors, [], 'refusals are answered, not logged as errors');
  assert.ok(!all.includes(h.world.slack.token));
  assert.ok(!all.includes(SIGNING_SECRET));
}
