/**
 * `/gameday` end to end through the REAL Bolt app over signed HTTP, against the real world
 * (Temporal dev server + worker, kube-apiserver with the sandbox GitOps controller, the bare
 * config repo, the Slack Web API stand-in): refusals start nothing, a drill run from Slack posts
 * its scorecard to the drill's channel, and the Abort button stops a running drill.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drillScorecards } from '../../../src/lib/drills/report.js';
import { ABORT_DRILL_ACTION } from '../../../src/app/slack/listeners/actions/abort-drill.js';
import type { World } from '../../../src/sandbox/world/index.js';
import { scorecardQuery } from '../../../workflows/drills/messages.js';
import type { Scorecard } from '../../../workflows/drills/types.js';
import { untilArgoSyncedHealthy } from '../../support/kube.js';
import { assertCleanLog, hasButton, startBoltHarness, type BoltHarness } from './bolt-harness.js';
import { poll, runsOf } from './world-checks.js';

let h: BoltHarness;
let world: World;
const gameday = (text: string, userId: string) => h.command('/gameday', text, userId);
const replyTo = async (res: { responseUrl: string }) =>
  (await h.responses.next(res.responseUrl, 120_000)).body as {
    text?: string;
    response_type?: string;
    blocks?: unknown[];
  };
const scorecardPosted = (drill: string, timeoutMs = 180_000) =>
  world.slack.waitForCall(
    'chat.postMessage',
    (c) => c.args.channel === 'C_GAMEDAY' && String(c.args.text).startsWith(`Game day ${drill} `),
    timeoutMs,
  );

async function launchers(): Promise<number> {
  let n = 0;
  for await (const _ of world.rewind().client.workflow.list({ query: `WorkflowType = 'drillLauncherWorkflow'` })) n++;
  return n;
}

describe('/gameday through the Bolt app', () => {
  before(async () => {
    h = await startBoltHarness({
      temporal: 'dev',
      health: { window: '2s', timeout: '90s' },
      controller: { selfHealDelayMs: 1000 },
    });
    world = h.world;
    await Promise.all(
      ['users-api-dev', 'users-api-staging'].map((name) => untilArgoSyncedHealthy(world.kube.kc, name)),
    );
  });
  after(async () => {
    await h?.stop();
  });

  it('help is the usage; list names every drill with its kind, target and schedule', async () => {
    const help = await gameday('help', 'U_MALLORY');
    assert.equal(help.json?.response_type, 'ephemeral');
    assert.match(help.json?.text ?? '', /^Usage:[\s\S]*`\/gameday run <drill>`[\s\S]*`\/gameday abort <drill>`/);

    const res = await gameday('list', 'U_CAROL');
    assert.equal(res.status, 200);
    const list = await replyTo(res);
    assert.equal(list.response_type, 'ephemeral');
    for (const line of [
      /^• \*users-api-staging-rollback\* \(rollback on users-api\/staging\): `0 10 \* \* 2 Europe\/Berlin`, schedule not applied \(`rewind drills apply`\); it would run \d{4}-\d{2}-\d{2} 0[89]:00Z, /m,
      /^• \*users-api-dev-drift\* \(drift on users-api\/dev\): `0 11 \* \* 2 UTC`, schedule not applied/m,
      /^• \*users-api-dev-rebuild\* \(rebuild on users-api\/dev\): on demand$/m,
      /^• \*users-api-dev-emergency\* \(emergency on users-api\/dev\): on demand$/m,
      /^• \*ci-access-audit\* \(access-audit on cluster\): `0 9 \* \* 1 UTC`/m,
    ])
      assert.match(list.text ?? '', line);
  });

  describe('refusals start nothing', () => {
    let baseline: { launchers: number; dev: number };
    before(async () => {
      baseline = { launchers: await launchers(), dev: await runsOf(world, 'rewind/users-api/dev') };
    });
    const unchanged = async () =>
      assert.deepEqual(
        { launchers: await launchers(), dev: await runsOf(world, 'rewind/users-api/dev') },
        baseline,
        'no drill and no run started',
      );

    for (const [what, text, user, why] of [
      [
        'an unknown drill',
        'run nope',
        'U_ALICE',
        /no drill "nope" in rewind\.yaml; drills: users-api-staging-rollback, users-api-dev-drift, users-api-dev-rebuild, users-api-dev-emergency, ci-access-audit/,
      ],
      [
        'an unknown Slack user',
        'run users-api-dev-drift',
        'U_STRANGER',
        /Your Slack user \(U_STRANGER\) is not a person in rewind\.yaml[\s\S]*add `slack: U_STRANGER`/,
      ],
      [
        'mallory on a drill of users-api',
        'run users-api-dev-drift',
        'U_MALLORY',
        /mallory is neither an owner nor an approver of users-api and cannot run its drill "users-api-dev-drift" \(it injects faults into users-api\/dev\); owners and approvers: alice, carol, bob/,
      ],
      [
        'mallory aborting a drill of users-api',
        'abort users-api-dev-drift',
        'U_MALLORY',
        /mallory is neither an owner nor an approver of users-api and cannot abort/,
      ],
      ['a since that is not a date', 'report yesterday', 'U_ALICE', /"yesterday" is neither a date/],
    ] as const) {
      it(`${what}: refused in the ephemeral ack, nothing else said`, async () => {
        const res = await gameday(text, user);
        assert.equal(res.status, 200);
        assert.equal(res.json?.response_type, 'ephemeral');
        assert.match(res.json?.text ?? '', why);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(h.responses.for(res.responseUrl), [], 'no response_url post');
        await unchanged();
      });
    }

    it('a bad signature is answered 401 and starts nothing', async () => {
      const bad = await h.command('/gameday', 'run users-api-dev-drift', 'U_ALICE', {
        signature: 'v0=0000000000000000000000000000000000000000000000000000000000000000',
      });
      assert.equal(bad.status, 401);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(h.responses.for(bad.responseUrl), []);
      await unchanged();
    });

    it('abort when the drill is not running: refused ephemerally', async () => {
      const res = await gameday('abort users-api-dev-drift', 'U_ALICE');
      assert.match(res.json?.text ?? '', /Aborting drill \*users-api-dev-drift\*/);
      assert.match(
        (await replyTo(res)).text ?? '',
        /:no_entry: drill "users-api-dev-drift" is not running; nothing to abort/,
      );
      await unchanged();
    });
  });

  it(
    'alice runs users-api-dev-drift: "drill started" with an Abort ' +
      'button, and the drill posts its PASSED scorecard to C_GAMEDAY',
    async () => {
      const res = await gameday('run users-api-dev-drift', 'U_ALICE');
      assert.equal(res.json?.response_type, 'ephemeral');
      assert.match(
        res.json?.text ?? '',
        /Starting drill \*users-api-dev-drift\* \(drift on users-api\/dev\) for alice/,
      );
      const started = await replyTo(res);
      assert.equal(started.response_type, 'ephemeral');
      assert.match(
        started.text ?? '',
        /^:test_tube: Drill started: \*users-api-dev-drift\* \(drift on users-api\/dev\) for alice, as `rewind-drill-users-api-dev-drift-manual-\d+`\. It runs under `rewind\/users-api\/dev`.*posted to <#C_GAMEDAY>/s,
      );
      assert.ok(hasButton(started.blocks, ABORT_DRILL_ACTION));
      assert.match(JSON.stringify(started.blocks), /"value":"users-api-dev-drift"/);

      const posted = await scorecardPosted('users-api-dev-drift');
      assert.match(String(posted.args.text), /^Game day users-api-dev-drift \(drift on users-api\/dev\): PASSED$/);
      assert.match(JSON.stringify(posted.args.blocks), /drift detected/);

      // The drill posts its scorecard, then its launcher returns it; the report reads launchers through visibility.
      const launcherId = /`(rewind-drill-users-api-dev-drift-manual-\d+)`/.exec(started.text ?? '')![1]!;
      assert.equal(
        ((await world.rewind().client.workflow.getHandle(launcherId).result()) as Scorecard).outcome,
        'passed',
      );
      await poll(
        'the launcher to be visible as completed',
        async () => (await drillScorecards(world.rewind())).some((r) => r.drill === 'users-api-dev-drift') || undefined,
        30_000,
      );
      const report = await gameday('report 1h', 'U_MALLORY');
      assert.match(
        (await replyTo(report)).text ?? '',
        /^• \d{4}-\d{2}-\d{2} [\d:]{5} \*users-api-dev-drift\* \(drift on users-api\/dev\): :white_check_mark: passed · detect \d+s \/ 30s · restore \d+s \/ 60s · cleanup verified$/m,
      );
    },
  );

  it(
    'the Abort button stops a running rollback drill: cleanup ' +
      'runs, the scorecard says ABORTED; a second click is refused',
    async () => {
      const res = await gameday('run users-api-staging-rollback', 'U_CAROL');
      const started = await replyTo(res);
      assert.ok(hasButton(started.blocks, ABORT_DRILL_ACTION), started.text);
      const drill = world.rewind().client.workflow.getHandle('rewind/users-api/staging');
      await poll(
        'the bad promotion to be pushed',
        async () => {
          const d = await drill.describe();
          if (d.type !== 'drillWorkflow' || d.status.name !== 'RUNNING') return undefined;
          return (await drill.query(scorecardQuery)).checks.some((c) => c.name === 'bad promotion pushed') || undefined;
        },
        120_000,
      );

      // The "drill started" answer is ephemeral: a click on it carries that container.
      const msg = { channel: 'C_USERS_API', ts: '1700000000.000100' };
      const mallory = await h.click(ABORT_DRILL_ACTION, 'users-api-staging-rollback', 'U_MALLORY', msg);
      assert.match(mallory.text ?? '', /mallory is neither an owner nor an approver of users-api and cannot abort/);
      const ok = await h.click(ABORT_DRILL_ACTION, 'users-api-staging-rollback', 'U_BOB', msg);
      assert.equal(ok.response_type, 'ephemeral');
      assert.match(
        ok.text ?? '',
        /^:octagonal_sign: Abort requested for drill \*users-api-staging-rollback\* \(`rewind\/users-api\/staging`\)/,
      );

      const posted = await scorecardPosted('users-api-staging-rollback');
      assert.match(String(posted.args.text), /: ABORTED$/);
      assert.match(JSON.stringify(posted.args.blocks), /aborted by bob/);
      assert.match(JSON.stringify(posted.args.blocks), /Cleanup: verified/);

      const again = await h.click(ABORT_DRILL_ACTION, 'users-api-staging-rollback', 'U_BOB', msg);
      assert.match(
        again.text ?? '',
        /:no_entry: drill "users-api-staging-rollback" is not running( any more \(it ended aborted\))?; nothing to abort/,
      );
      assertCleanLog(h);
    },
  );
});
