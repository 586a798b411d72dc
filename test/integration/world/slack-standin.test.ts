import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, LogLevel, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { startSlackStandIn, type SlackStandIn } from '../../../src/sandbox/world/slack-standin.js';

/** The error code Slack returned, from the client's platform error. */
async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as WebAPIPlatformError;
    assert.equal(e.code, ErrorCode.PlatformError, String(err));
    return e.data.error;
  }
  assert.fail('expected a Slack API error');
}

describe('Slack Web API stand-in, driven by the real WebClient', () => {
  let slack: SlackStandIn;
  let client: WebClient;
  const clientFor = (token: string | undefined, url = slack.apiUrl) =>
    new WebClient(token, { slackApiUrl: url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });

  before(async () => {
    slack = await startSlackStandIn({ token: 'xoxb-test-token' });
    client = clientFor('xoxb-test-token');
  });
  after(async () => {
    await slack.stop();
  });

  it('listens on loopback and answers auth.test', async () => {
    assert.match(slack.apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const res = await client.auth.test();
    assert.equal(res.user_id, slack.botUserId);
    assert.equal(res.bot_id, slack.botId);
    assert.equal(res.team, 'Acme');
  });

  it('posts, updates and links messages, recording parsed blocks', async () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: '*Rollback users-api/prod*' } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'approve_rollback',
            value: 'runbook:users-api:prod',
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
          },
        ],
      },
    ];
    const posted = await client.chat.postMessage({ channel: 'C_INCIDENTS', text: 'Rollback plan', blocks });
    assert.equal(posted.channel, 'C_INCIDENTS');
    assert.match(posted.ts ?? '', /^\d{10}\.\d{6}$/);
    assert.equal(posted.message?.text, 'Rollback plan');
    assert.deepEqual(posted.message?.blocks, blocks);

    const second = await client.chat.postMessage({ channel: 'C_INCIDENTS', text: 'second', thread_ts: posted.ts });
    assert.ok(Number(second.ts) > Number(posted.ts), 'ts increases');

    const call = slack.calls.find((c) => c.method === 'chat.postMessage');
    assert.ok(call?.ok);
    assert.deepEqual(call.args.blocks, blocks, 'blocks arrive as a JSON string and are recorded parsed');
    assert.equal(call.args.text, 'Rollback plan');

    const updated = await client.chat.update({
      channel: 'C_INCIDENTS',
      ts: posted.ts!,
      text: 'Approved by <@U_BOB>',
      blocks: [],
    });
    assert.equal(updated.ts, posted.ts);
    assert.equal(updated.text, 'Approved by <@U_BOB>');
    const msgs = slack.messages('C_INCIDENTS');
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]?.ts, posted.ts);
    assert.equal(msgs[0]?.text, 'Approved by <@U_BOB>');
    assert.deepEqual(msgs[0]?.blocks, []);
    assert.equal(msgs[0]?.edited?.user, slack.botUserId);
    assert.equal(msgs[1]?.threadTs, posted.ts);
    assert.deepEqual(slack.messages('C_OTHER'), []);

    const link = await client.chat.getPermalink({ channel: 'C_INCIDENTS', message_ts: posted.ts! });
    assert.equal(link.permalink, `https://acme.slack.com/archives/C_INCIDENTS/p${posted.ts!.replace('.', '')}`);

    assert.equal(
      await slackError(client.chat.update({ channel: 'C_INCIDENTS', ts: '1.000001', text: 'x' })),
      'message_not_found',
    );
    assert.equal(
      await slackError(client.chat.update({ channel: 'C_ELSEWHERE', ts: posted.ts!, text: 'x' })),
      'message_not_found',
    );
    assert.equal(
      await slackError(client.chat.getPermalink({ channel: 'C_INCIDENTS', message_ts: '1.000001' })),
      'message_not_found',
    );
    assert.equal(await slackError(client.chat.postMessage({ channel: '', text: 'x' })), 'channel_not_found');
    assert.equal(await slackError(client.chat.postMessage({ channel: 'C_INCIDENTS' } as never)), 'no_text');
  });

  it('posts ephemeral messages to known users only', async () => {
    const res = await client.chat.postEphemeral({
      channel: 'C_INCIDENTS',
      user: 'U_MALLORY',
      text: 'You are not an approver for users-api/prod',
    });
    assert.match(res.message_ts ?? '', /^\d{10}\.\d{6}$/);
    assert.deepEqual(slack.ephemerals('U_MALLORY'), [
      {
        channel: 'C_INCIDENTS',
        user: 'U_MALLORY',
        messageTs: res.message_ts,
        text: 'You are not an approver for users-api/prod',
      },
    ]);
    assert.ok(!slack.messages().some((m) => m.ts === res.message_ts), 'ephemeral messages are not channel history');
    assert.equal(
      await slackError(client.chat.postEphemeral({ channel: 'C_INCIDENTS', user: 'U_NOBODY', text: 'x' })),
      'user_not_found',
    );
  });

  it('answers users.info for known users and user_not_found otherwise', async () => {
    const res = await client.users.info({ user: 'U_ALICE' });
    assert.equal(res.user?.id, 'U_ALICE');
    assert.equal(res.user?.name, 'alice');
    assert.equal(res.user?.real_name, 'Alice Owner');
    assert.equal(res.user?.tz, 'Europe/Berlin');
    assert.deepEqual(
      {
        email: res.user?.profile?.email,
        real_name: res.user?.profile?.real_name,
        display_name: res.user?.profile?.display_name,
      },
      { email: 'alice@acme.test', real_name: 'Alice Owner', display_name: 'alice' },
    );
    assert.equal((await client.users.info({ user: 'U_BOB' })).user?.profile?.email, 'bob@acme.test');
    assert.equal(await slackError(client.users.info({ user: 'U_NOBODY' })), 'user_not_found');
  });

  it('runs the whole external upload flow through files.uploadV2', async () => {
    const markdown = '# Timeline users-api/prod\n\n- 10:02 paused auto-sync\n- 10:04 reverted 1.42.0\n';
    const res = await client.files.uploadV2({
      channel_id: 'C_INCIDENTS',
      filename: 'timeline.md',
      title: 'Timeline',
      content: markdown,
      initial_comment: 'Timeline export for the users-api/prod rollback',
    });
    assert.equal(res.ok, true);
    const completed = (
      res as unknown as { files: Array<{ files: Array<{ id: string; title: string; size: number }> }> }
    ).files[0]?.files[0];
    assert.ok(completed);
    assert.equal(completed.title, 'Timeline');
    assert.equal(completed.size, Buffer.byteLength(markdown));

    const upload = slack.uploads.get(completed.id);
    assert.ok(upload);
    assert.equal(upload.filename, 'timeline.md');
    assert.equal(upload.bytes.toString('utf8'), markdown);
    assert.equal(upload.title, 'Timeline');
    assert.equal(upload.channel, 'C_INCIDENTS');
    assert.equal(upload.initialComment, 'Timeline export for the users-api/prod rollback');
    assert.equal(upload.completed, true);

    const getUrl = await slack.waitForCall('files.getUploadURLExternal', (c) => c.args.filename === 'timeline.md');
    assert.equal(getUrl.args.length, String(Buffer.byteLength(markdown)));
    const complete = await slack.waitForCall('files.completeUploadExternal', (c) => c.ok);
    assert.deepEqual(
      complete.args.files,
      [{ id: completed.id, title: 'Timeline' }],
      'files arrive as a JSON string and are recorded parsed',
    );
    assert.equal(complete.args.channel_id, 'C_INCIDENTS');

    const share = slack.messages('C_INCIDENTS').at(-1);
    assert.equal(share?.text, 'Timeline export for the users-api/prod rollback');
    assert.deepEqual(share?.files, [{ id: completed.id, title: 'Timeline' }]);

    // Binary bytes survive unchanged.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x00, 0x10]);
    const bin = await client.files.uploadV2({ channel_id: 'C_INCIDENTS', filename: 'timeline.png', file: png });
    const binId = (bin as unknown as { files: Array<{ files: Array<{ id: string }> }> }).files[0]?.files[0]?.id;
    assert.deepEqual(slack.uploads.get(binId ?? '')?.bytes, png);
  });

  it('refuses to complete uploads whose bytes never arrived', async () => {
    const { file_id } = await client.files.getUploadURLExternal({ filename: 'ghost.json', length: 10 });
    assert.ok(file_id);
    assert.equal(
      await slackError(
        client.files.completeUploadExternal({ files: [{ id: file_id, title: 'ghost' }], channel_id: 'C_INCIDENTS' }),
      ),
      'file_not_found',
    );
    assert.equal(
      await slackError(client.files.completeUploadExternal({ files: [{ id: 'F_UNKNOWN' }] })),
      'file_not_found',
    );
    assert.equal(slack.uploads.has(file_id), false);
    assert.equal(
      await slackError(client.apiCall('files.getUploadURLExternal', { filename: 'x.txt' })),
      'invalid_arguments',
    );

    // The upload URL itself answers like Slack's: 200 "OK - <length>".
    const { upload_url, file_id: id2 } = await client.files.getUploadURLExternal({ filename: 'raw.txt', length: 5 });
    const res = await fetch(upload_url!, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'OK - 5');
    assert.equal(slack.uploads.get(id2!)?.bytes.toString(), 'hello');
  });

  it('rejects bad or missing tokens and never records them', async () => {
    assert.equal(
      await slackError(clientFor('xoxb-wrong').chat.postMessage({ channel: 'C1', text: 'x' })),
      'invalid_auth',
    );
    assert.equal(await slackError(clientFor(undefined).chat.postMessage({ channel: 'C1', text: 'x' })), 'not_authed');
    // A per-call token overrides the client's, as Bolt does for multi-workspace installs.
    assert.equal(
      await slackError(client.chat.postMessage({ channel: 'C1', text: 'x', token: 'xoxb-other' })),
      'invalid_auth',
    );
    assert.equal(slack.messages('C1').length, 0);
    const failed = slack.calls.filter((c) => c.args.channel === 'C1');
    assert.deepEqual(
      failed.map((c) => c.error),
      ['invalid_auth', 'not_authed', 'invalid_auth'],
    );
    const recorded = JSON.stringify(slack.calls);
    for (const t of ['xoxb-test-token', 'xoxb-wrong', 'xoxb-other'])
      assert.ok(!recorded.includes(t), `${t} leaked into calls`);
    assert.ok(slack.calls.every((c) => !('token' in c.args)));
  });

  it('answers unknown methods with unknown_method', async () => {
    assert.equal(await slackError(client.apiCall('chat.teleport', { channel: 'C1' })), 'unknown_method');
    assert.equal(slack.calls.at(-1)?.method, 'chat.teleport');
    assert.equal(slack.calls.at(-1)?.error, 'unknown_method');
  });

  it('accepts JSON bodies as Slack does', async () => {
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test-token', 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C_JSON', text: 'from json', blocks: [{ type: 'divider' }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ok: boolean; ts: string };
    assert.equal(body.ok, true);
    assert.deepEqual(slack.messages('C_JSON'), [
      { channel: 'C_JSON', ts: body.ts, text: 'from json', blocks: [{ type: 'divider' }] },
    ]);
  });

  it('waitForCall resolves on future calls and times out with the calls seen', async () => {
    const waiting = slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C_LATER', 2000);
    await client.chat.postMessage({ channel: 'C_LATER', text: 'later' });
    assert.equal((await waiting).args.text, 'later');
    await assert.rejects(
      slack.waitForCall('chat.delete', undefined, 50),
      /Slack stand-in: no chat\.delete call within 50 ms; calls so far: auth\.test, chat\.postMessage/,
    );
  });
});

describe('Slack stand-in with a channel allow-list and custom users', () => {
  it('answers channel_not_found outside the allow-list and uses the given users', async () => {
    const slack = await startSlackStandIn({
      token: 'xoxb-x',
      channels: ['C_OPS'],
      users: [{ id: 'U_ZED', name: 'zed', realName: 'Zed Ops', email: 'zed@acme.test' }],
    });
    try {
      const client = new WebClient('xoxb-x', {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        logLevel: LogLevel.ERROR,
      });
      await client.chat.postMessage({ channel: 'C_OPS', text: 'ok' });
      assert.equal(await slackError(client.chat.postMessage({ channel: 'C_RANDOM', text: 'no' })), 'channel_not_found');
      assert.equal((await client.users.info({ user: 'U_ZED' })).user?.tz, 'UTC');
      assert.equal(await slackError(client.users.info({ user: 'U_ALICE' })), 'user_not_found');
      assert.deepEqual(
        slack.messages().map((m) => m.text),
        ['ok'],
      );
      const pending = slack.waitForCall('chat.delete', undefined, 10_000);
      await slack.stop();
      await assert.rejects(pending, /stopped while waiting for chat\.delete/);
    } finally {
      await slack.stop().catch(() => undefined);
    }
  });
});
