import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { emergencyCommand } from '../../../src/app/slack/listeners/commands/emergency.js';
import { deps, recorder, untouchableRewind } from './fakes.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

async function run(text: string, userId = 'U_ALICE') {
  const rewind = untouchableRewind();
  const rec = recorder();
  const command = {
    command: '/emergency',
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
  await emergencyCommand(deps(rewind))({
    ack: rec.ack,
    respond: rec.respond,
    command,
    body: command,
    payload: command,
  } as unknown as Args);
  return { rec, rewind, ackText: rec.acks[0] as { text?: string; response_type?: string } | undefined };
}

describe('/emergency listener: refusals answered in the ack, Temporal untouched', () => {
  it('help is the usage', async () => {
    const { ackText, rewind } = await run('help');
    assert.match(ackText!.text!, /Usage:[\s\S]*\/emergency resolve/);
    assert.deepEqual(rewind.touched, []);
  });

  for (const [name, text, user, expected] of [
    [
      'a change without KEY=VALUE',
      'users-api prod --change "configmap/users-api-env LOG_LEVEL" need logs',
      'U_ALICE',
      /"LOG_LEVEL" is not KEY=VALUE\. Forms: "configmap\/NAME KEY=VALUE"/,
    ],
    ['an unknown kind', 'users-api prod --change "pod/users-api a=b" why', 'U_ALICE', /unknown kind "pod"/],
    [
      'a JSON patch that does not parse',
      'users-api prod --change \'deployment/users-api {"spec":\' why',
      'U_ALICE',
      /the JSON patch does not parse/,
    ],
    [
      'an unquoted change',
      'users-api prod --change configmap/users-api-env LOG_LEVEL=debug why',
      'U_ALICE',
      /put the whole change in quotes/,
    ],
    [
      'unknown Slack user',
      'users-api prod --change "configmap/users-api-env A=b" why',
      'U_STRANGER',
      /add `slack: U_STRANGER`/,
    ],
    [
      'unknown app',
      'orders-api prod --change "configmap/x A=b" why',
      'U_ALICE',
      /unknown app "orders-api"\. Known apps: users-api, billing-worker/,
    ],
    [
      'unknown environment',
      'billing-worker staging --change "configmap/x A=b" why',
      'U_BOB',
      /no environment "staging"/,
    ],
    [
      'abandon without --confirm',
      'abandon users-api prod',
      'U_ALICE',
      /abandon resumes auto-sync of users-api\/prod and lets Git win/,
    ],
    ['resolve of an unknown app', 'resolve orders-api', 'U_ALICE', /unknown app "orders-api"/],
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
    const { rec, ackText } = await run('users-api prod --change "configmap/users-api-env LOG_LEVEL=debug" need logs');
    assert.deepEqual(rec.order, ['ack', 'respond']);
    assert.match(ackText!.text!, /Starting an emergency change of \*users-api\/prod\*/);
    const reply = rec.responses[0] as { text: string; response_type: string };
    assert.equal(reply.response_type, 'ephemeral');
    assert.match(reply.text, /Sorry, starting the emergency change failed unexpectedly/);
    assert.doesNotMatch(reply.text, /Temporal client used/);
  });

  it('the owner check of src/lib/runs.ts comes back ephemerally with its message', async () => {
    const { rec, rewind } = await run(
      'users-api prod --change "configmap/users-api-env LOG_LEVEL=debug" need logs',
      'U_MALLORY',
    );
    assert.match((rec.responses[0] as { text: string }).text, /mallory is not an owner of users-api; owners: alice/);
    assert.deepEqual(rewind.touched, [], 'refused before Temporal');
  });
});
