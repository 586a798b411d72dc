import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createSlackApp, isFromTheFuture, type SlackApp } from '../../../src/app/slack/app.js';
import { untouchableRewind } from './fakes.js';

const SECRET = 'unit-signing-secret';

function sign(body: string, ts: number, secret = SECRET) {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

describe('Slack app HTTP surface (no Temporal behind it)', () => {
  let slack: SlackApp;
  let base: string;
  before(async () => {
    slack = createSlackApp({
      rewind: untouchableRewind(),
      signingSecret: SECRET,
      token: 'xoxb-unit',
      botId: 'B1',
      botUserId: 'U1',
      slackApiUrl: 'http://127.0.0.1:9/api/',
      logger: pino({ level: 'silent' }),
    });
    const addr = await slack.start(0);
    base = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => {
    await slack.stop();
  });

  const post = (body: string, ts: number, signature = sign(body, ts)) =>
    fetch(`${base}/slack/events`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signature,
      },
    });
  const now = () => Math.floor(Date.now() / 1000);
  const helpBody = new URLSearchParams({
    command: '/rollback',
    text: 'help',
    user_id: 'U_ALICE',
    channel_id: 'C',
    team_id: 'T',
    response_url: 'http://127.0.0.1:9/r',
    trigger_id: 't',
  }).toString();

  it('answers /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('serves a correctly signed command', async () => {
    const res = await post(helpBody, now());
    assert.equal(res.status, 200);
    assert.match(((await res.json()) as { text: string }).text, /Usage:/);
  });

  it('refuses a bad signature, a stale timestamp and a future timestamp with 401', async () => {
    assert.equal((await post(helpBody, now(), sign(helpBody, now(), 'wrong'))).status, 401);
    assert.equal((await post(helpBody, now() - 6 * 60)).status, 401);
    assert.equal((await post(helpBody, now() + 6 * 60)).status, 401);
    assert.equal((await post(helpBody, now() + 60)).status, 200, 'small clock skew is fine');
  });

  it('isFromTheFuture allows exactly five minutes ahead', () => {
    const at = (ts: number) => ({ headers: { 'x-slack-request-timestamp': String(ts) } }) as never;
    assert.equal(isFromTheFuture(at(1000 + 300), 1000_000), false);
    assert.equal(isFromTheFuture(at(1000 + 301), 1000_000), true);
    assert.equal(isFromTheFuture({ headers: {} } as never, 1000_000), false, 'missing header is left to Bolt (401)');
  });
});
