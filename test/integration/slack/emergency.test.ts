/**
 * `/emergency` end to end through the REAL Bolt app over signed HTTP, against the real world
 * (Temporal dev server + worker, kube-apiserver with the sandbox GitOps controller, the bare
 * config repo, the Slack Web API stand-in): bad input changes nothing, the seed change reaches
 * Git before auto-sync resumes, and a held pause is resolved / abandoned with the buttons.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACTION } from '../../../src/lib/slack-messages/run-message.js';
import type { World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp } from '../../support/kube.js';
import { gitLog } from '../../support/world-runs.js';
import { assertCleanLog, hasButton, startBoltHarness, type BoltHarness } from './bolt-harness.js';
import { poll, runsOf, snapshot } from './world-checks.js';

const PROD = 'rewind/users-api/prod';
const STAGING = 'rewind/users-api/staging';
const AUTO = { prune: true, selfHeal: true };
let h: BoltHarness;
let world: World;

const emergency = (text: string, userId: string) => h.command('/emergency', text, userId);
const liveConfig = async (ns: string) =>
  (await world.kube.kc.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ namespace: ns, name: 'users-api-env' }))
    .data ?? {};
const automated = async (app: string) => (await argoApp(world.kube.kc, app)).spec.syncPolicy?.automated ?? null;
const messageOf = (workflowId: string, actionId: string) =>
  poll(
    `a message of ${workflowId} with ${actionId}`,
    async () =>
      world.slack
        .messages('C_USERS_API')
        .find((m) => hasButton(m.blocks, actionId) && JSON.stringify(m.blocks).includes(`"value":"${workflowId}"`)),
    120_000,
  );
async function ended(workflowId: string): Promise<RunStatus> {
  return (await world.rewind().client.workflow.getHandle(workflowId).result()) as RunStatus;
}

describe('/emergency through the Bolt app', () => {
  before(async () => {
    h = await startBoltHarness({
      temporal: 'dev',
      health: { window: '2s', timeout: '60s' },
      controller: { selfHealDelayMs: 1000 },
    });
    world = h.world;
    await poll(
      'users-api-prod Synced and Healthy',
      async () => {
        const app = await argoApp(world.kube.kc, 'users-api-prod');
        return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' ? app : undefined;
      },
      90_000,
    );
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
    const unchanged = async () => {
      assert.deepEqual(await snapshot(world, PROD), baseline, 'same Git head, no run started');
      assert.deepEqual(await automated('users-api-prod'), AUTO, 'auto-sync untouched');
      assert.equal((await liveConfig('users-api-prod')).LOG_LEVEL, 'info', 'live untouched');
    };

    it('change syntax rewind cannot read is answered in the ack with the forms', async () => {
      for (const [text, why] of [
        [
          'users-api prod --change "configmap/users-api-env LOG_LEVEL" need logs',
          /"LOG_LEVEL" is not KEY=VALUE\. Forms: "configmap\/NAME KEY=VALUE"/,
        ],
        ['users-api prod --change configmap/users-api-env LOG_LEVEL=debug need logs', /put the whole change in quotes/],
        ['users-api prod need logs', /say what to change live with --change/],
      ] as const) {
        const res = await emergency(text, 'U_ALICE');
        assert.equal(res.status, 200);
        assert.equal(res.json?.response_type, 'ephemeral');
        assert.match(res.json?.text ?? '', why);
      }
      await unchanged();
    });

    it('an unknown app, and an environment the app does not have, are refused in the ack', async () => {
      const unknown = await emergency('orders-api prod --change "configmap/x A=b" why', 'U_ALICE');
      assert.match(unknown.json?.text ?? '', /unknown app "orders-api"\. Known apps: users-api, billing-worker/);
      const env = await emergency('billing-worker staging --change "configmap/billing-worker-env A=b" why', 'U_BOB');
      assert.match(env.json?.text ?? '', /app "billing-worker" has no environment "staging"/);
      await unchanged();
    });

    it('a person who is not an owner (mallory) is refused ephemerally by src/lib/runs.ts', async () => {
      const res = await emergency(
        'users-api prod --change "configmap/users-api-env LOG_LEVEL=debug" need logs',
        'U_MALLORY',
      );
      const reply = (await h.responses.next(res.responseUrl)).body;
      assert.equal(reply.response_type, 'ephemeral');
      assert.match(reply.text ?? '', /mallory is not an owner of users-api; owners: alice, carol/);
      await unchanged();
    });

    it('abandon without --confirm, and resolve when nothing is held, are refused', async () => {
      const abandon = await emergency('abandon users-api prod', 'U_ALICE');
      assert.match(abandon.json?.text ?? '', /abandon resumes auto-sync of users-api\/prod and lets Git win/);
      const resolve = await emergency('resolve users-api prod', 'U_ALICE');
      const reply = (await h.responses.next(resolve.responseUrl)).body;
      assert.match(reply.text ?? '', /no run rewind\/users-api\/prod/);
      await unchanged();
    });

    it(
      "an object that does not exist: the run's plan refuses " + 'it before approval; phase failed, nothing paused',
      async () => {
        const res = await emergency('users-api prod --change "configmap/nope A=b" typo test', 'U_ALICE');
        assert.match(
          (await h.responses.next(res.responseUrl)).body.text ?? '',
          /Started run `rewind\/users-api\/prod`/,
        );
        const result = await ended(PROD);
        assert.equal(result.phase, 'failed');
        assert.match(result.result ?? '', /ConfigMap\/nope does not exist in users-api-prod/);
        assert.deepEqual(result.approvals, [], 'no approval was asked for');
        assert.equal(await world.repo.head(), baseline.head, 'nothing pushed');
        assert.equal(await runsOf(world, PROD), 1);
        assert.deepEqual(await automated('users-api-prod'), AUTO, 'Argo app still auto-syncing');
        assert.ok(
          world.slack
            .messages('C_USERS_API')
            .some((m) => /^emergency-change users-api\/prod: Failed/.test(m.text ?? '')),
          'the run message says Failed',
        );
      },
    );
  });

  it(
    'alice changes LOG_LEVEL live in prod; the plan shows before ' +
      '→ after; bob approves; Git holds it and auto-sync is back',
    async () => {
      const started = await emergency(
        'users-api prod --change "configmap/users-api-env LOG_LEVEL=debug" need logs',
        'U_ALICE',
      );
      assert.equal(started.json?.response_type, 'ephemeral');
      assert.match(started.json?.text ?? '', /Starting an emergency change of \*users-api\/prod\*/);
      const reply = (await h.responses.next(started.responseUrl)).body;
      assert.match(
        reply.text ?? '',
        /Started run `rewind\/users-api\/prod`.*Nothing is paused or changed until bob, carol approves/s,
      );

      const plan = await messageOf(PROD, ACTION.approve);
      const blocks = JSON.stringify(plan.blocks);
      assert.match(blocks, /ConfigMap users-api-prod\/users-api-env/);
      assert.match(blocks, /`\/data\/LOG_LEVEL`: `\\"info\\"` → `\\"debug\\"`/, 'before → after per field');
      assert.match(blocks, /will edit `apps\/users-api\/overlays\/prod\/configmap-patch\.yaml`/, 'the Git file');
      assert.deepEqual(await automated('users-api-prod'), AUTO, 'nothing paused before approval');

      const status = await emergency('status users-api', 'U_CAROL');
      assert.match(
        (await h.responses.next(status.responseUrl)).body.text ?? '',
        /`rewind\/users-api\/prod` emergency-change users-api\/prod: \*awaiting-approval\*/,
      );

      const msg = { channel: plan.channel, ts: plan.ts };
      const own = await h.click(ACTION.approve, PROD, 'U_ALICE', msg);
      assert.match(own.text ?? '', /alice requested this run and cannot approve it/);
      const ok = await h.click(ACTION.approve, PROD, 'U_BOB', msg);
      assert.match(ok.text ?? '', /approved by bob: pausing auto-sync of users-api\/prod and patching live now/);

      const result = await ended(PROD);
      assert.equal(result.phase, 'restored', result.result);
      assert.equal(
        (await liveConfig('users-api-prod')).LOG_LEVEL,
        'debug',
        'live has the change and self-heal did not undo it',
      );
      const overlay = await world.repo.show('apps/users-api/overlays/prod/configmap-patch.yaml');
      assert.match(overlay, /^\s+LOG_LEVEL: debug$/m, 'Git holds LOG_LEVEL: debug in the prod overlay');
      assert.match(
        await world.repo.show('apps/users-api/base/configmap.yaml'),
        /LOG_LEVEL: info/,
        'the base (every env) is untouched',
      );
      const [head] = await gitLog(world, 1);
      assert.equal(head!.sha, result.commitSha);
      assert.equal(head!.author, 'Alice Ops <alice@acme.test>');
      assert.match(head!.body, /Rewind-Run: rewind\/users-api\/prod\//);
      assert.deepEqual(await automated('users-api-prod'), AUTO, 'auto-sync resumed to exactly the recorded policy');

      const final = world.slack.messages('C_USERS_API').find((m) => m.ts === msg.ts)!;
      assert.match(final.text ?? '', /Restored/);
      assert.match(JSON.stringify(final.blocks), /committed `[0-9a-f]{7}`/);
      assert.ok(
        !hasButton(final.blocks, ACTION.approve) && !hasButton(final.blocks, ACTION.resolve),
        'no buttons once restored',
      );
    },
  );

  it(
    'a rejected push holds the pause: /emergency pauses shows the ' +
      'lease; Resolve says what Git lacks; Abandon (confirmed) lets Git win',
    async () => {
      const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
      await writeFile(hook, '#!/bin/sh\necho "rejected: main is protected" >&2\nexit 1\n');
      await chmod(hook, 0o755);
      try {
        const started = await emergency(
          'users-api staging --change "configmap/users-api-env FEATURE_FLAGS=beta" --incident INC-9 try the beta',
          'U_ALICE',
        );
        await h.responses.next(started.responseUrl);
        const held = await messageOf(STAGING, ACTION.resolve);
        assert.match(held.text ?? '', /HELD/);
        const abandonButton = JSON.stringify(held.blocks);
        assert.match(
          abandonButton,
          /"action_id":"rewind_abandon".*"confirm":\{"title"/,
          'Abandon asks Slack to confirm first',
        );
        assert.equal(await automated('users-api-staging'), null, 'auto-sync stays paused');

        const pauses = await emergency('pauses', 'U_CAROL');
        const listed = (await h.responses.next(pauses.responseUrl)).body.text ?? '';
        assert.match(
          listed,
          /\*users-api\/staging\* \(argocd argocd\/users-api-staging\): paused by alice since \S+ for INC-9 \(try the beta\), lease until/,
        );

        const status = await emergency('status', 'U_CAROL');
        assert.match(
          (await h.responses.next(status.responseUrl)).body.text ?? '',
          /:rotating_light: `rewind\/users-api\/staging` emergency-change users-api\/staging: \*HELD-PAUSED\*.*\/emergency resolve users-api staging/,
        );

        const msg = { channel: held.channel, ts: held.ts };
        const resolve = await h.click(ACTION.resolve, STAGING, 'U_CAROL', msg);
        assert.match(
          resolve.text ?? '',
          /Not resolved: Git does not hold the live change yet \(Git still differs from live at .*FEATURE_FLAGS/,
        );
        const mallory = await h.click(ACTION.abandon, STAGING, 'U_MALLORY', msg);
        assert.match(mallory.text ?? '', /mallory is neither an owner nor an approver of users-api/);
        assert.equal(await automated('users-api-staging'), null, 'refusals resume nothing');

        const abandon = await h.click(ACTION.abandon, STAGING, 'U_ALICE', msg);
        assert.match(
          abandon.text ?? '',
          /Abandoned by alice: auto-sync resumed to its recorded policy and Git wins \(Synced at [0-9a-f]{7}; Healthy\)/,
        );
        const result = await ended(STAGING);
        assert.equal(result.phase, 'abandoned');
        assert.deepEqual(await automated('users-api-staging'), AUTO);
        await poll('self-heal to put Git back', async () =>
          (await liveConfig('users-api-staging')).FEATURE_FLAGS === '' ? true : undefined,
        );
      } finally {
        await rm(hook, { force: true });
      }
    },
  );

  it('never logs the bot token or the signing secret, and logged no errors', () => assertCleanLog(h));
});
