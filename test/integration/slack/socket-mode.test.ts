/**
 * The REAL Bolt app over Socket Mode (Bolt's SocketModeReceiver, @slack/socket-mode, undici's
 * WebSocket) against the loopback Socket Mode stand-in: what a person reads when the worker has no
 * public ingress. Needs no kube-apiserver and no Temporal: the commands used are answered in the
 * ack, and the Temporal client behind them throws if anything touches it.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createSlackApp, type SlackApp } from '../../../src/app/slack/app.js';
import { ROLLBACK_PROMOTION_ACTION } from '../../../src/lib/slack-messages/promotion-message.js';
import {
  createSlackSocketApp,
  SlackSocketStartError,
  type SlackSocketApp,
} from '../../../src/app/slack/socket-mode.js';
import { startSlackIfConfigured } from '../../../src/app/slack/start.js';
import {
  startSlackSocketModeStandIn,
  type SlackSocketModeStandIn,
} from '../../../src/sandbox/world/slack-socket-standin.js';
import { untouchableRewind } from '../../unit/slack/fakes.js';
import {
  commandBody,
  nowSeconds,
  postToSlackApp,
  ResponseCatcher,
  signature,
  SIGNING_SECRET,
} from './slack-requests.js';

const BOT_TOKEN = 'xoxb-socket-mode-test-bot';
const SHA = '3f2a9c1d4b5e6f708192a3b4c5d6e7f801234567';

function sink() {
  const lines: string[] = [];
  return {
    lines,
    logger: pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    ),
  };
}

const ackText = (a: { payload?: Record<string, unknown> }) => a.payload?.text as string | undefined;

describe('Slack over Socket Mode (loopback stand-in, no public ingress)', () => {
  let standIn: SlackSocketModeStandIn;
  let slack: SlackSocketApp;
  let http: SlackApp;
  let httpEvents: string;
  const responses = new ResponseCatcher();
  const log = sink();
  const rewind = untouchableRewind();

  before(async () => {
    standIn = await startSlackSocketModeStandIn();
    await responses.start();
    slack = createSlackSocketApp({
      rewind,
      token: BOT_TOKEN,
      appToken: standIn.appToken,
      botId: 'B1',
      botUserId: 'U1',
      // Web API calls (none expected) would go nowhere; apps.connections.open goes to the stand-in.
      slackApiUrl: 'http://127.0.0.1:9/api/',
      socketApiUrl: standIn.apiUrl,
      logger: log.logger,
    });
    await slack.start();
    // The same listeners over HTTP, to compare what the person reads.
    http = createSlackApp({
      rewind,
      signingSecret: SIGNING_SECRET,
      token: BOT_TOKEN,
      botId: 'B1',
      botUserId: 'U1',
      slackApiUrl: 'http://127.0.0.1:9/api/',
      logger: pino({ level: 'silent' }),
    });
    httpEvents = `http://127.0.0.1:${(await http.start(0)).port}/slack/events`;
  });
  after(async () => {
    await slack?.stop();
    await http?.stop();
    await responses.stop();
    await standIn?.stop();
  });

  it('connects with the app token: one apps.connections.open, one hello, no listening port needed', async () => {
    assert.deepEqual(
      standIn.opens.map((o) => o.ok),
      [true],
    );
    assert.equal(standIn.greeted, 1);
    assert.equal(standIn.open, 1);
    assert.ok(log.lines.some((l) => l.includes('Slack app connected over Socket Mode')));
  });

  it("/rollback help is acked over the socket with the usage, within Slack's 3 s", async () => {
    const ack = await standIn.slashCommand('/rollback', 'help', 'U_ALICE', responses.url());
    assert.match(ackText(ack) ?? '', /Usage:/);
    assert.equal(ack.payload?.response_type, 'ephemeral');
    assert.ok(ack.ms < 3000, `acked in ${ack.ms} ms`);
    assert.deepEqual(rewind.touched, [], 'no Temporal call');
  });

  for (const [name, text, user, expected] of [
    [
      'unknown app',
      'orders-api prod 5xx after 1.42',
      'U_ALICE',
      /unknown app "orders-api"\. Known apps: users-api, billing-worker/,
    ],
    ['unknown Slack user', 'users-api prod 5xx', 'U_STRANGER', /add `slack: U_STRANGER`/],
    ['malformed sha', 'users-api prod --to nothex 5xx', 'U_ALICE', /--to "nothex" is not a commit sha/],
  ] as const) {
    it(`${name}: the same refusal text as over HTTP, in the ack`, async () => {
      const overSocket = await standIn.slashCommand('/rollback', text, user, responses.url());
      const body = commandBody('/rollback', text, user, responses.url());
      const ts = nowSeconds();
      const overHttp = await postToSlackApp(httpEvents, body, { timestamp: ts, signature: signature(body, ts) });
      assert.equal(overHttp.status, 200);
      assert.match(ackText(overSocket) ?? '', expected);
      assert.deepEqual(overSocket.payload, overHttp.json, 'Socket Mode and HTTP answer alike');
      assert.deepEqual(rewind.touched, []);
    });
  }

  it(
    'a button click (interactive envelope) is acked at once ' +
      'and answered at the response_url: a stranger starts nothing',
    async () => {
      const responseUrl = responses.url();
      const ack = await standIn.send('interactive', {
        type: 'block_actions',
        api_app_id: 'A_REWIND',
        token: 'deprecated-verification-token',
        trigger_id: 'trig-1',
        user: { id: 'U_STRANGER', username: 'stranger', name: 'stranger', team_id: 'T0ACME' },
        team: { id: 'T0ACME', domain: 'acme' },
        container: { type: 'message', message_ts: '1.000100', channel_id: 'C_USERS_API', is_ephemeral: false },
        channel: { id: 'C_USERS_API', name: 'users-api' },
        message: { type: 'message', ts: '1.000100', text: 'degraded' },
        response_url: responseUrl,
        actions: [
          {
            type: 'button',
            action_id: ROLLBACK_PROMOTION_ACTION,
            block_id: 'actions',
            value: `rewind-watch/users-api/staging#${SHA}`,
            text: { type: 'plain_text', text: 'Roll back' },
            action_ts: '1.000200',
          },
        ],
      });
      assert.equal(ack.payload, undefined, 'an empty ack, as over HTTP');
      const answer = await responses.next(responseUrl, 10_000);
      assert.match(answer.body.text ?? '', /not a person in rewind\.yaml/);
      assert.deepEqual(rewind.touched, []);
    },
  );

  it('a disconnect (refresh_requested) makes it open a fresh link and keep serving', async () => {
    const t0 = Date.now();
    standIn.disconnect('refresh_requested');
    await standIn.waitForHello(2, 20_000);
    const gapMs = Date.now() - t0;
    assert.deepEqual(
      standIn.opens.map((o) => o.ok),
      [true, true],
      'a new apps.connections.open, not a reused link',
    );
    const ack = await standIn.slashCommand('/rollback', 'help', 'U_BOB', responses.url());
    assert.equal(ack.connection, 2);
    assert.match(ackText(ack) ?? '', /Usage:/);
    assert.equal(standIn.open, 1, 'the old connection is closed');
    assert.ok(log.lines.some((l) => l.includes('Slack app reconnected over Socket Mode')));
    process.stdout.write(
      `# Socket Mode reconnect after refresh_requested: ${gapMs} ms ` +
        `(Bolt waits clientPingTimeout, 5 s, before it reopens)\n`,
    );
  });

  it("never logs the app token, the bot token or the payloads' verification token; nothing at error level", () => {
    const all = log.lines.join('');
    assert.ok(all.length > 0);
    assert.ok(!all.includes(standIn.appToken), 'app token');
    assert.ok(!all.includes(BOT_TOKEN), 'bot token');
    assert.ok(
      !all.includes('standin-verification-token') && !all.includes('deprecated-verification-token'),
      'verification token',
    );
    const errors = log.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    assert.deepEqual(errors, []);
  });
});

describe('Socket Mode heartbeat', () => {
  it("keeps one connection while the client's pings are answered (undici 7 reports the pongs)", async () => {
    const standIn = await startSlackSocketModeStandIn();
    const log = sink();
    // Pings every 100 ms; without pongs seen, Bolt drops the link after the fourth (≈ 400 ms).
    const slack = createSlackSocketApp({
      rewind: untouchableRewind(),
      token: BOT_TOKEN,
      appToken: standIn.appToken,
      botId: 'B1',
      botUserId: 'U1',
      socketApiUrl: standIn.apiUrl,
      clientPingTimeoutMs: 300,
      logger: log.logger,
    });
    try {
      await slack.start();
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(standIn.greeted, 1, 'no reconnect');
      assert.ok(!log.lines.join('').includes("A pong wasn't received"));
      assert.match(
        ackText(await standIn.slashCommand('/rollback', 'help', 'U_ALICE', 'http://127.0.0.1:9/r')) ?? '',
        /Usage:/,
      );
    } finally {
      await slack.stop();
      await standIn.stop();
    }
  });
});

describe('Socket Mode start refused', () => {
  let standIn: SlackSocketModeStandIn;
  before(async () => {
    standIn = await startSlackSocketModeStandIn();
  });
  after(async () => {
    await standIn?.stop();
  });

  it(
    'a wrong app token is refused by Slack (invalid_auth) ' + 'and the app says so at start, naming SLACK_APP_TOKEN',
    async () => {
      const log = sink();
      const wrong = `xapp-1-A_REWIND-1-${'0'.repeat(32)}`;
      const slack = createSlackSocketApp({
        rewind: untouchableRewind(),
        token: BOT_TOKEN,
        appToken: wrong,
        botId: 'B1',
        botUserId: 'U1',
        socketApiUrl: standIn.apiUrl,
        logger: log.logger,
      });
      const err = await slack.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof SlackSocketStartError, String(err));
      assert.equal(err.slackError, 'invalid_auth');
      assert.match(err.message, /Slack refused the app token \(invalid_auth\)/);
      assert.match(
        err.message,
        /SLACK_APP_TOKEN must be an app-level token \(xapp-…\) with the connections:write scope/,
      );
      assert.deepEqual(
        standIn.opens.map((o) => o.error),
        ['invalid_auth'],
        'one try: a refused token is not retried',
      );
      assert.equal(standIn.greeted, 0);
      const logged = log.lines.join('');
      assert.ok(logged.includes('Slack Socket Mode did not start'), 'the operator reads it in the log');
      assert.ok(!logged.includes(wrong), 'not even a wrong token is logged');
      await slack.stop();
    },
  );

  it('a bot token given as SLACK_APP_TOKEN is refused before anything is sent', () => {
    assert.throws(
      () =>
        createSlackSocketApp({
          rewind: untouchableRewind(),
          token: BOT_TOKEN,
          appToken: 'xoxb-not-an-app-token',
          socketApiUrl: standIn.apiUrl,
          logger: pino({ level: 'silent' }),
        }),
      /app token does not start with xapp-\. SLACK_APP_TOKEN must be an app-level token/,
    );
    assert.equal(standIn.opens.length, 1, "only the previous test's call");
  });

  it(
    'startSlackIfConfigured picks Socket Mode when an app token ' +
      'is given, even with a signing secret, and opens no port',
    async () => {
      const log = sink();
      const rewind = untouchableRewind();
      const started = await startSlackIfConfigured({
        cfg: rewind.cfg,
        client: rewind.client,
        taskQueue: 'unit',
        log: log.logger,
        token: BOT_TOKEN,
        botId: 'B1',
        botUserId: 'U1',
        appToken: standIn.appToken,
        signingSecret: 'unused',
        socketApiUrl: standIn.apiUrl,
      });
      try {
        assert.equal(started?.transport, 'socket-mode');
        assert.equal(started?.port, undefined);
        assert.ok(
          log.lines.some((l) => l.includes('serving Slack over Socket Mode; SLACK_SIGNING_SECRET is not used')),
        );
        const ack = await standIn.slashCommand('/rollback', 'help', 'U_ALICE', 'http://127.0.0.1:9/r');
        assert.match(ackText(ack) ?? '', /Usage:/);
      } finally {
        await started?.stop();
      }
      // The close handshake is done when stop() resolves; the stand-in sees the TCP close a moment later.
      for (let i = 0; i < 50 && standIn.open > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(standIn.open, 0, 'stop closes the connection');
    },
  );
});
