/**
 * `/rollback` end to end through the REAL Bolt app over HTTP, with correctly signed requests,
 * against the real world: Temporal dev server + worker, kube-apiserver with the sandbox GitOps
 * controller, the bare config repo, and the Slack Web API stand-in the workflow posts to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runStatus } from '../../../src/lib/runs.js';
import { ACTION } from '../../../src/lib/slack-messages/run-message.js';
import type { World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { assertCleanLog, hasButton, startBoltHarness, type BoltHarness } from './bolt-harness.js';
import { nowSeconds } from './slack-requests.js';
import { poll, runsOf, snapshot } from './world-checks.js';

const PROD = 'rewind/users-api/prod';
let h: BoltHarness;
let world: World;

const rollback = (text: string, userId: string, opts: { timestamp?: number; signature?: string } = {}) =>
  h.command('/rollback', text, userId, opts);
const click = (actionId: string, workflowId: string, userId: string, message: { channel: string; ts: string }) =>
  h.click(actionId, workflowId, userId, message);

describe('/rollback through the Bolt app', () => {
  before(async () => {
    h = await startBoltHarness({ temporal: 'dev', health: { window: '2s', timeout: '90s' } });
    world = h.world;
  });

  after(async () => {
    await h?.stop();
  });

  describe('bad input changes nothing', () => {
    let baseline: { head: string; runs: number };
    before(async () => {
      baseline = await snapshot(world, PROD);
      assert.equal(baseline.runs, 0);
    });
    const unchanged = async () =>
      assert.deepEqual(await snapshot(world, PROD), baseline, 'same Git head, no run started');

    it('a bad signature is refused with 401', async () => {
      const res = await rollback('users-api prod 5xx after 1.42', 'U_ALICE', { signature: `v0=${'0'.repeat(64)}` });
      assert.equal(res.status, 401);
      await unchanged();
    });

    it('a stale timestamp is refused with 401', async () => {
      const res = await rollback('users-api prod 5xx after 1.42', 'U_ALICE', { timestamp: nowSeconds() - 10 * 60 });
      assert.equal(res.status, 401);
      await unchanged();
    });

    it('a timestamp from the future is refused with 401, though correctly signed', async () => {
      const res = await rollback('users-api prod 5xx after 1.42', 'U_ALICE', { timestamp: nowSeconds() + 10 * 60 });
      assert.equal(res.status, 401);
      assert.equal(h.responses.for(res.responseUrl).length, 0);
      await unchanged();
    });

    it('an unknown app gets an ephemeral error naming the known apps', async () => {
      const res = await rollback('orders-api prod 5xx', 'U_ALICE');
      assert.equal(res.status, 200);
      assert.equal(res.json?.response_type, 'ephemeral');
      assert.match(res.json?.text ?? '', /unknown app "orders-api"\. Known apps: users-api, billing-worker/);
      await unchanged();
    });

    it('a Slack user who is not in rewind.yaml is told to add their id under people:', async () => {
      const res = await rollback('users-api prod 5xx', 'U_STRANGER');
      assert.equal(res.json?.response_type, 'ephemeral');
      assert.match(res.json?.text ?? '', /add `slack: U_STRANGER`.*under people:/);
      await unchanged();
    });

    it('a person who is not an owner (mallory) is refused ephemerally by src/lib/runs.ts', async () => {
      const res = await rollback('users-api prod 5xx after 1.42', 'U_MALLORY');
      assert.equal(res.json?.response_type, 'ephemeral');
      assert.match(res.json?.text ?? '', /Starting rollback/);
      const reply = (await h.responses.next(res.responseUrl)).body;
      assert.equal(reply.response_type, 'ephemeral');
      assert.match(reply.text ?? '', /mallory is not an owner of users-api; owners: alice, carol/);
      await unchanged();
    });

    it('malformed text (--to nothex, an unknown flag) gets the usage', async () => {
      for (const [text, why] of [
        ['users-api prod --to nothex 5xx', /--to "nothex" is not a commit sha/],
        ['users-api prod --force 5xx', /unknown flag --force/],
      ] as const) {
        const res = await rollback(text, 'U_ALICE');
        assert.equal(res.json?.response_type, 'ephemeral');
        assert.match(res.json?.text ?? '', why);
        assert.match(res.json?.text ?? '', /Usage:/);
      }
      await unchanged();
    });
  });

  it('alice starts a prod rollback, cannot approve it herself, bob approves, and service is restored', async () => {
    const headBefore = await world.repo.head();
    const started = await rollback('users-api prod 5xx after 1.42', 'U_ALICE');
    assert.equal(started.status, 200);
    assert.equal(started.json?.response_type, 'ephemeral');
    assert.match(started.json?.text ?? '', /Starting rollback of \*users-api\/prod\*/);
    const startedReply = (await h.responses.next(started.responseUrl)).body;
    assert.equal(startedReply.response_type, 'ephemeral');
    assert.match(startedReply.text ?? '', new RegExp(`Started run \`${PROD}\``));
    assert.match(startedReply.text ?? '', /<#C_USERS_API>/);

    // The workflow (not the Slack app) posts the plan to the app's channel, then adds the buttons.
    await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C_USERS_API', 120_000);
    const planMessage = await poll(
      'a plan message with an Approve button',
      async () => world.slack.messages('C_USERS_API').find((m) => hasButton(m.blocks, ACTION.approve)),
      120_000,
    );
    assert.match(JSON.stringify(planMessage.blocks), new RegExp(`"value":"${PROD.replace(/\//g, '\\/')}"`));
    assert.match(JSON.stringify(planMessage.blocks), /Revert/);
    const msg = { channel: planMessage.channel, ts: planMessage.ts };

    // One runbook per app and environment: a second request is told which run holds it.
    const second = await rollback('users-api prod still failing', 'U_CAROL');
    const busy = (await h.responses.next(second.responseUrl)).body;
    assert.equal(busy.response_type, 'ephemeral');
    assert.match(
      busy.text ?? '',
      /users-api\/prod is held by rollback requested by alice \(awaiting-approval\): 5xx after 1\.42/,
    );
    assert.match(busy.text ?? '', /rewind status users-api/);

    const status = await rollback('status users-api', 'U_CAROL');
    assert.equal(status.status, 200);
    const listed = (await h.responses.next(status.responseUrl)).body;
    assert.equal(listed.response_type, 'ephemeral');
    assert.match(
      listed.text ?? '',
      /`rewind\/users-api\/prod` rollback users-api\/prod: \*awaiting-approval\* \(waiting for approval\), requested by alice/,
    );

    const own = await click(ACTION.approve, PROD, 'U_ALICE', msg);
    assert.equal(own.response_type, 'ephemeral');
    assert.equal(own.replace_original, false);
    assert.match(own.text ?? '', /alice requested this run and cannot approve it/);
    const nonApprover = await click(ACTION.approve, PROD, 'U_MALLORY', msg);
    assert.match(nonApprover.text ?? '', /mallory is not an approver of users-api/);
    assert.equal(await world.repo.head(), headBefore, 'refused approvals change nothing');
    assert.equal((await runStatus(world.rewind(), PROD)).phase, 'awaiting-approval');

    const ok = await click(ACTION.approve, PROD, 'U_BOB', msg);
    assert.equal(ok.response_type, 'ephemeral');
    assert.match(
      ok.text ?? '',
      /approved by bob: reverting [0-9a-f]{7} now \(rewind\/users-api\/prod, requested by alice\)/,
    );

    const handle = world.rewind().client.workflow.getHandle(PROD);
    const result = (await handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.deepEqual(
      result.approvals.map((a) => [a.by, a.decision]),
      [['bob', 'approve']],
    );
    assert.equal(await runsOf(world, PROD), 1, 'the busy request started nothing');

    const head = await world.repo.head();
    assert.equal(head, result.revertSha);
    const { simpleGit } = await import('simple-git');
    const commit = await simpleGit({ baseDir: world.repo.remote }).raw(['log', '-1', '--format=%an <%ae>%n%B', head]);
    assert.match(commit, /^Alice Ops <alice@acme\.test>\nRevert "/);
    assert.match(commit, /5xx after 1\.42/);
    assert.match(commit, /Rewind-Run: rewind\/users-api\/prod\//);

    const updates = world.slack.calls.filter(
      (c) => c.method === 'chat.update' && c.args.channel === 'C_USERS_API' && c.args.ts === msg.ts,
    );
    assert.ok(updates.length >= 2, `the run message is updated in place (${updates.length} updates)`);
    const final = world.slack.messages('C_USERS_API').find((m) => m.ts === msg.ts)!;
    assert.match(final.text ?? '', /Restored/);
    assert.match(JSON.stringify(final.blocks), /Restored/);
    assert.ok(!hasButton(final.blocks, ACTION.approve), 'no Approve button once restored');
    assert.equal(
      world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === 'C_USERS_API').length,
      1,
      'one message per run',
    );

    // A stale button (an old copy of the message) on a finished run is refused, not an unexpected error.
    const stale = await click(ACTION.cancel, PROD, 'U_ALICE', msg);
    assert.match(
      stale.text ?? '',
      /run rewind\/users-api\/prod is not running any more \(restored\); nothing to cancel/,
    );
  });

  it('never logs the bot token or the signing secret, and logged no errors', () => assertCleanLog(h));
});
