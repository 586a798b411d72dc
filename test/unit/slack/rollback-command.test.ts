import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { rollbackCommand } from '../../../src/app/slack/listeners/commands/rollback.js';
import { deps, recorder, untouchableRewind } from './fakes.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

async function run(text: string, userId = 'U_ALICE') {
  const rewind = untouchableRewind();
  const rec = recorder();
  const command = {
    command: '/rollback',
    text,
    user_id: userId,
    channel_id: 'C_X',
    response_url: 'http://127.0.0.1:9/none',
    trigger_id: 't',
    team_id: 'T',
    user_name: 'x',
    team_domain: 'x',
    channel_name: 'x',
    api_app_id: 'A',
    token: '',
  };
  await rollbackCommand(deps(rewind))({
    ack: rec.ack,
    respond: rec.respond,
    command,
    body: command,
    payload: command,
  } as unknown as Args);
  return { rec, rewind, ackText: rec.acks[0] as { text?: string; response_type?: string } | undefined };
}

describe('/rollback listener: refusals answered in the ack, Temporal untouched', () => {
  it('help is the usage', async () => {
    const { rec, ackText, rewind } = await run('help');
    assert.equal(rec.acks.length, 1);
    assert.match(ackText!.text!, /Usage:/);
    assert.deepEqual(rewind.touched, []);
  });

  for (const [name, text, user, expected] of [
    ['malformed sha', 'users-api prod --to nothex 5xx', 'U_ALICE', /--to "nothex" is not a commit sha/],
    ['unknown flag', 'users-api prod --force 5xx', 'U_ALICE', /unknown flag --force/],
    ['unknown Slack user', 'users-api prod 5xx', 'U_STRANGER', /add `slack: U_STRANGER`/],
    [
      'unknown app',
      'orders-api prod 5xx',
      'U_ALICE',
      /unknown app "orders-api"\. Known apps: users-api, billing-worker/,
    ],
    ['unknown environment', 'billing-worker staging 5xx', 'U_BOB', /no environment "staging"/],
  ] as const) {
    it(`${name}: one ephemeral ack with the reason, nothing else`, async () => {
      const { rec, ackText, rewind } = await run(text, user);
      assert.equal(rec.acks.length, 1);
      assert.equal(ackText!.response_type, 'ephemeral');
      assert.match(ackText!.text!, expected);
      assert.deepEqual(rec.responses, []);
      assert.deepEqual(rewind.touched, [], 'no Temporal call');
    });
  }

  it('a valid request acks "starting" first, then reports an unexpected failure without details', async () => {
    const { rec, ackText } = await run('users-api prod 5xx after 1.42');
    assert.deepEqual(rec.order, ['ack', 'respond']);
    assert.match(ackText!.text!, /Starting rollback of \*users-api\/prod\*/);
    const reply = rec.responses[0] as { text: string; response_type: string; replace_original: boolean };
    assert.equal(reply.response_type, 'ephemeral');
    assert.match(reply.text, /Sorry, starting the rollback failed unexpectedly/);
    assert.doesNotMatch(reply.text, /Temporal client used/, 'internal error text is logged, not shown');
  });

  it('an owner check refusal from src/lib/runs.ts comes back ephemerally with its message', async () => {
    const { rec } = await run('users-api prod 5xx', 'U_MALLORY');
    const reply = rec.responses[0] as { text: string };
    assert.match(reply.text, /mallory is not an owner of users-api; owners: alice/);
  });
});
