/**
 * Game-day drills end to end on the sandbox world: every kind, cleanup on abort, the lock
 * shared with real runs, and Schedules applied idempotently on the real dev server.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { parseConfig } from '../../../src/lib/config/load.js';
import { drillInput } from '../../../src/lib/drills/input.js';
import { drillScorecards, reportMarkdown } from '../../../src/lib/drills/report.js';
import { applyDrillSchedules, listDrills, pauseDrill, runDrillNow } from '../../../src/lib/drills/schedules.js';
import { loadRunbook } from '../../../src/lib/runbooks/load.js';
import { person, targetSnapshot } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { abortSignal, scorecardQuery } from '../../../workflows/drills/messages.js';
import { argoApp } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { terminateRunning } from '../../support/world-runs.js';

let world: World;

async function healthy(name: string) {
  return waitFor(
    `${name} Synced and Healthy`,
    async () => {
      const app = await argoApp(world.kube.kc, name);
      return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' ? app : undefined;
    },
    120_000,
  );
}

const pathTree = async (p: string) =>
  (await import('simple-git')).simpleGit({ baseDir: world.repo.remote }).raw(['rev-parse', `main:${p}`]);

describe('game-day drills', () => {
  before(async () => {
    world = await startWorld({
      temporal: 'dev',
      health: { window: '2s', timeout: '90s' },
      controller: { selfHealDelayMs: 1000 },
      tokenUsers: [{ token: 'ci-token', user: 'ci-bot', uid: 'ci-1', groups: ['ci'] }],
    });
    await world.startWorker();
    await Promise.all(['users-api-dev', 'users-api-staging'].map(healthy));
  });
  after(async () => {
    await world?.stop();
  });
  afterEach(async () => {
    await terminateRunning(world);
  });

  it(
    'rollback drill: bad promotion detected, rolled back by ' +
      'the real runbook, Git equals live, target back as before',
    async () => {
      const before = await pathTree('apps/users-api/overlays/staging');
      const run = await runDrillNow(world.rewind(), 'users-api-staging-rollback', 'alice');
      const card = await run.result();
      assert.equal(card.outcome, 'passed', JSON.stringify(card.checks));
      assert.ok(card.timeToDetectMs! > 0 && card.timeToRestoreMs! > card.timeToDetectMs!);
      assert.deepEqual(
        card.checks.filter((c) => !c.passed),
        [],
      );
      assert.ok(card.checks.some((c) => c.name === 'rolled back by reverting a commit' && c.passed));
      assert.equal(card.cleanup.verified, true, card.cleanup.detail);
      assert.equal(
        await pathTree('apps/users-api/overlays/staging'),
        before,
        'the environment path has the same content as before',
      );
      const posted = await world.slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === 'C_GAMEDAY' && /users-api-staging-rollback/.test(String(c.args.text)),
      );
      assert.match(String(posted.args.text), /PASSED/);
    },
  );

  it('drift drill: a live edit is detected (OutOfSync) and self-healed', async () => {
    const card = await (await runDrillNow(world.rewind(), 'users-api-dev-drift', 'alice')).result();
    assert.equal(card.outcome, 'passed', JSON.stringify(card));
    assert.ok(
      card.timeToDetectMs !== undefined &&
        card.timeToRestoreMs !== undefined &&
        card.timeToRestoreMs >= card.timeToDetectMs,
    );
    assert.equal(card.cleanup.verified, true, card.cleanup.detail);
  });

  it('rebuild drill: deleted objects come back from Git and are healthy', async () => {
    const card = await (await runDrillNow(world.rewind(), 'users-api-dev-rebuild', 'alice')).result();
    assert.equal(card.outcome, 'passed', JSON.stringify(card));
    assert.match(card.checks.find((c) => c.name === 'managed objects deleted')!.detail, /Deployment\/users-api/);
    assert.ok(card.timeToRestoreMs! > 0);
  });

  it(
    'emergency drill: the runbook restores auto-sync and ' + 'Git holds the change, then the change is reverted',
    async () => {
      const before = await pathTree('apps/users-api');
      const card = await (await runDrillNow(world.rewind(), 'users-api-dev-emergency', 'alice')).result();
      assert.equal(card.outcome, 'passed', JSON.stringify(card));
      assert.ok(card.checks.find((c) => c.name === 'Git holds the live change')!.passed);
      assert.match(card.cleanup.detail, /reverted [0-9a-f]{7}/);
      assert.equal(await pathTree('apps/users-api'), before);
      assert.deepEqual((await argoApp(world.kube.kc, 'users-api-dev')).spec.syncPolicy?.automated, {
        prune: true,
        selfHeal: true,
      });
    },
  );

  it('access audit: passes while CI holds no rights, fails naming the right once it does', async () => {
    const ok = await (await runDrillNow(world.rewind(), 'ci-access-audit', 'alice')).result();
    assert.equal(ok.outcome, 'passed', JSON.stringify(ok.checks));
    const rbac = world.kube.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    // An explicit Role: the built-in `edit` ClusterRole is aggregated by kube-controller-manager,
    // which envtest does not run.
    await rbac.createNamespacedRole({
      namespace: 'users-api-prod',
      body: {
        metadata: { name: 'ci-deployer' },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch', 'update'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'users-api-prod',
      body: {
        metadata: { name: 'ci-deployer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ci-deployer' },
        subjects: [{ kind: 'User', name: 'ci-bot', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    try {
      const bad = await (await runDrillNow(world.rewind(), 'ci-access-audit', 'alice')).result();
      assert.equal(bad.outcome, 'failed');
      assert.match(
        bad.checks[0]!.detail,
        /ci-bot may patch apps\/deployments in users-api-prod; ci-bot may update apps\/deployments in users-api-prod|ci-bot may update apps\/deployments in users-api-prod; ci-bot may patch apps\/deployments in users-api-prod/,
      );
      assert.doesNotMatch(bad.checks[0]!.detail, /may (create|delete)/);
    } finally {
      await rbac.deleteNamespacedRoleBinding({ namespace: 'users-api-prod', name: 'ci-deployer' });
      await rbac.deleteNamespacedRole({ namespace: 'users-api-prod', name: 'ci-deployer' });
    }
  });

  it('an aborted drill still cleans up and verifies the target', async () => {
    const before = await pathTree('apps/users-api/overlays/staging');
    const run = await runDrillNow(world.rewind(), 'users-api-staging-rollback', 'alice');
    const drill = world.rewind().client.workflow.getHandle('rewind/users-api/staging');
    // The latest execution of the lock id, once it is this drill's and it has pushed its fault.
    await waitFor('the bad promotion to be pushed', async () => {
      if ((await drill.describe()).status.name !== 'RUNNING') return undefined;
      return (await drill.query(scorecardQuery)).checks.some((c) => c.name === 'bad promotion pushed') || undefined;
    });
    await drill.signal(abortSignal, { by: 'bob' });
    const card = await run.result();
    assert.equal(card.outcome, 'aborted');
    assert.equal(card.reason, 'aborted by bob');
    assert.equal(card.cleanup.verified, true, card.cleanup.detail);
    assert.match(card.cleanup.detail, /reverted the drill promotion/);
    assert.equal(await pathTree('apps/users-api/overlays/staging'), before);
  });

  it('is skipped while a real run holds the app and environment', async () => {
    const rw = world.rewind();
    const target = { ...targetSnapshot(rw.cfg, 'users-api', 'staging') };
    target.approval = { ...target.approval, required: true };
    const holder = await rw.client.workflow.start('runbookWorkflow', {
      taskQueue: rw.taskQueue,
      workflowId: 'rewind/users-api/staging',
      args: [
        {
          runbook: await loadRunbook('rollback'),
          target,
          request: { requester: person(rw.cfg, 'alice'), reason: 'real incident', source: 'cli' },
        },
      ],
    });
    await waitFor(
      'the run to wait for approval',
      async () => (await holder.query<{ phase: string }>('status')).phase === 'awaiting-approval' || undefined,
    );
    const headBefore = await world.repo.head();
    const card = await (await runDrillNow(rw, 'users-api-staging-rollback', 'alice')).result();
    assert.equal(card.outcome, 'skipped');
    assert.match(card.reason!, /skipped: incident in progress/);
    assert.equal(await world.repo.head(), headBefore, 'a skipped drill touches nothing');
  });

  it('refuses a drill aimed at an environment that is not a drill target', async () => {
    const cfg = parseConfig(world.configText.replace('drillTarget: true\n', 'drillTarget: true\n'), 'x');
    const prod = { ...cfg.drills[0]!, env: 'prod' };
    await assert.rejects(drillInput(cfg, prod, 'manual'), /users-api\/prod is not a drill target/);
    assert.throws(
      () => parseConfig(world.configText.replace('env: staging\n    badTag', 'env: prod\n    badTag'), 'rewind.yaml'),
      /drills\.0\.env: users-api\/prod is not a drill target/,
    );
  });

  it('applies Schedules idempotently, pauses them, and reports scorecards with trends', async () => {
    const rw = world.rewind();
    const first = await applyDrillSchedules(rw);
    assert.deepEqual([...first.created].sort(), [
      'ci-access-audit',
      'users-api-dev-drift',
      'users-api-staging-rollback',
    ]);
    const second = await applyDrillSchedules(rw);
    assert.deepEqual(second, { created: [], updated: [], deleted: [], unchanged: first.created });
    await pauseDrill(rw, 'users-api-dev-drift', 'alice');
    const rows = await listDrills(rw);
    assert.equal(rows.find((r) => r.name === 'users-api-dev-drift')!.paused, true);
    assert.ok(rows.find((r) => r.name === 'users-api-staging-rollback')!.nextRun);
    assert.equal(rows.find((r) => r.name === 'users-api-dev-rebuild')!.scheduled, false);
    const third = await applyDrillSchedules({
      ...rw,
      cfg: { ...rw.cfg, drills: rw.cfg.drills.filter((d) => d.name !== 'ci-access-audit') },
    });
    assert.deepEqual(third.deleted, ['ci-access-audit']);
    const report = await drillScorecards(rw);
    const rollbacks = report.filter((r) => r.drill === 'users-api-staging-rollback');
    assert.ok(rollbacks.length >= 2);
    assert.ok(rollbacks.at(-1)!.outcome === 'skipped' || rollbacks.some((r) => r.trend));
    assert.match(
      reportMarkdown(report),
      /\| users-api-staging-rollback \| rollback \| users-api\/staging \| passed \|/,
    );
  });
});
