/**
 * The rollback runbook end to end against the real world: Temporal dev server, kube-apiserver,
 * git over HTTP, the sandbox Argo CD / Flux stand-in, and the Slack Web API stand-in.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { outcomeLines } from '../../../src/app/cli/render.js';
import { cancelRun, decide, person, RefusedError, startRun } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunResult, RunStatus } from '../../../workflows/types.js';
import { argoApp, deploymentImage, fluxKs, mergePatch, refreshArgo } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start, untilPhase, terminateRunning } from '../../support/world-runs.js';

let world: World;

async function syncedAt(name: string, sha: string) {
  return waitFor(`${name} synced at ${sha.slice(0, 7)}`, async () => {
    const app = await argoApp(world.kube.kc, name);
    return app.status?.sync?.status === 'Synced' && app.status.sync.revision === sha ? app : undefined;
  });
}

async function healthy(name: string) {
  return waitFor(`${name} Healthy`, async () =>
    (await argoApp(world.kube.kc, name)).status?.health?.status === 'Healthy' ? true : undefined,
  );
}

describe('rollback runbook', () => {
  before(async () => {
    // The window outlasts the world's crash-after-ready fault (4 s): a pod that crashes later than the
    // window would read as restored, here as in a real cluster with a window shorter than its crash.
    world = await startWorld({ temporal: 'dev', health: { window: '6s', timeout: '75s' } });
    await world.startWorker();
    await Promise.all(['users-api-dev', 'users-api-staging', 'users-api-prod'].map(healthy));
  });
  after(async () => {
    await world?.stop();
  });
  // A failed test must not leave its run holding the app for the next one.
  afterEach(async () => {
    await terminateRunning(world);
  });

  it('reverts a bad Argo CD promotion in prod after a second person approves, and restores health', async () => {
    const bad = await world.repo.promote('users-api', 'prod', '1.43.0');
    await refreshArgo(world.kube.kc, 'users-api-prod');
    await syncedAt('users-api-prod', bad.sha);

    const run = await start(world, {
      app: 'users-api',
      env: 'prod',
      as: 'alice',
      reason: '5xx after 1.43.0',
      incidentId: 'INC-101',
    });
    assert.equal(run.workflowId, 'rewind/users-api/prod');
    const waiting = await untilPhase(world, run.workflowId, 'awaiting-approval');
    const plan = waiting.plan!;
    assert.equal(plan.promotion.sha, bad.sha);
    assert.deepEqual(
      plan.promotion.images.map((i) => [i.from, i.to]),
      [['ghcr.io/acme/users-api:1.42.0', 'ghcr.io/acme/users-api:1.43.0']],
    );
    assert.equal(plan.engine.syncedRevision, bad.sha);
    assert.deepEqual(plan.engine.autoSync, { engine: 'argocd', automated: { prune: true, selfHeal: true } });

    const rw = world.rewind();
    const headBefore = await world.repo.head();
    await assert.rejects(
      decide(rw, run.workflowId, { decision: 'approve', by: person(rw.cfg, 'alice') }),
      (e: Error) => e instanceof RefusedError && /requested this run and cannot approve it/.test(e.message),
    );
    await assert.rejects(
      decide(rw, run.workflowId, { decision: 'approve', by: person(rw.cfg, 'mallory') }),
      /not an approver of users-api/,
    );
    assert.equal(await world.repo.head(), headBefore, 'refused approvals change nothing');
    await decide(rw, run.workflowId, { decision: 'approve', by: person(rw.cfg, 'bob') });

    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.ok(result.timeToRestoreMs! > 0);
    const [head] = await gitLog(world, 1);
    assert.equal(head!.sha, result.revertSha);
    assert.equal(head!.author, 'Alice Ops <alice@acme.test>');
    assert.match(head!.subject, /^Revert "promote users-api 1\.43\.0 to prod"/);
    assert.match(head!.body, new RegExp(`This reverts commit ${bad.sha}`));
    assert.match(head!.body, /Rewind-Run: rewind\/users-api\/prod\//);
    assert.match(head!.body, /Rewind-Incident: INC-101/);
    const app = await argoApp(world.kube.kc, 'users-api-prod');
    assert.equal(app.status?.sync?.revision, result.revertSha);
    assert.equal(app.status?.health?.status, 'Healthy');
    assert.equal(await deploymentImage(world.kube.kc, 'users-api-prod', 'users-api'), 'ghcr.io/acme/users-api:1.42.0');
    assert.deepEqual(
      result.approvals.map((a) => [a.by, a.decision]),
      [['bob', 'approve']],
    );
    const timeline = await run.handle.query<Array<{ step?: string; evidence?: Record<string, unknown> }>>('timeline');
    const synced = timeline.find((e) => e.step === 'wait-for-sync' && e.evidence?.syncRevision);
    assert.equal(synced?.evidence?.syncRevision, result.revertSha, 'the evidence names the revision the engine synced');

    const posted = world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === 'C_USERS_API');
    assert.equal(posted.length, 1, 'one message per run, then updated in place');
    const final = world.slack.messages('C_USERS_API').at(-1)!;
    assert.match(final.text ?? '', /rollback users-api\/prod: Restored/);
  });

  it(
    'reverts a bad Flux promotion, waits for lastAppliedRevision ' + 'at the revert, and commits the postmortem',
    async () => {
      // rewind.yaml `postmortems:` names a repository of its own, so the config repo gets the revert only.
      const postmortems = path.join(world.dir, 'postmortems.git');
      const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' });
      git('init', '--quiet', '--bare', '--initial-branch=main', postmortems);
      const seed = path.join(world.dir, 'postmortems-seed');
      git('clone', '--quiet', postmortems, seed);
      git(
        '-C',
        seed,
        '-c',
        'user.name=ops',
        '-c',
        'user.email=ops@acme.test',
        'commit',
        '--quiet',
        '--allow-empty',
        '-m',
        'start',
      );
      git('-C', seed, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
      const base = world.rewind();
      const rw = {
        ...base,
        cfg: {
          ...base.cfg,
          repos: { ...base.cfg.repos, postmortems: { url: postmortems, branch: 'main' } },
          postmortems: { repo: 'postmortems', path: 'incidents' },
        },
      };

      const bad = await world.repo.promote('billing-worker', 'prod', '2.5.0');
      const started = await startRun(rw, {
        runbook: 'rollback',
        source: 'cli',
        requester: person(rw.cfg, 'bob'),
        app: 'billing-worker',
        env: 'prod',
        reason: 'queue consumers crash',
      });
      const handle = rw.client.workflow.getHandle(started.workflowId, started.runId);
      const waiting = await untilPhase(world, started.workflowId, 'awaiting-approval');
      assert.equal(waiting.plan!.promotion.sha, bad.sha);
      await decide(rw, started.workflowId, { decision: 'approve', by: person(rw.cfg, 'carol') });
      const result = (await handle.result()) as RunResult;
      assert.equal(result.phase, 'restored', result.result);
      const ks = await fluxKs(world.kube.kc, 'billing-worker-prod');
      assert.equal(ks.status?.lastAppliedRevision, `main@sha1:${result.revertSha}`);
      assert.equal(
        await deploymentImage(world.kube.kc, 'billing-worker-prod', 'billing-worker'),
        'ghcr.io/acme/billing-worker:2.4.0',
      );

      // The postmortem: the run's Markdown timeline, committed once to incidents/ as rewind.
      const pm = result.postmortem;
      assert.ok(pm, 'the result names the postmortem');
      assert.equal(pm.repo, 'postmortems');
      assert.match(pm.file, /^incidents\/\d{4}-\d{2}-\d{2}-billing-worker-prod-[0-9a-f]{8}\.md$/);
      assert.equal(git('--git-dir', postmortems, 'rev-parse', 'main').trim(), pm.sha);
      const markdown = git('--git-dir', postmortems, 'show', `main:${pm.file}`);
      assert.match(markdown, /^# .*billing-worker\/prod/m);
      assert.match(markdown, /## Timeline/);
      assert.ok(markdown.includes(result.revertSha!.slice(0, 7)), 'the document names the revert');
      assert.match(markdown, /Restored: billing-worker\/prod is Synced and Healthy/);
      assert.match(
        git('--git-dir', postmortems, 'log', '-1', '--format=%an%n%s%n%b', 'main'),
        new RegExp(
          `^rewind\npostmortem: billing-worker/prod restored \\(rewind/billing-worker/prod\\)\n` +
            `Rewind-Run: rewind/billing-worker/prod/${started.runId}\n`,
        ),
      );
      assert.equal(await world.repo.head(), result.revertSha, 'the config repo got the revert and nothing else');
      assert.ok(
        result.timeline.some(
          (e) => e.summary === `Postmortem committed to postmortems: ${pm.file} (${pm.sha.slice(0, 7)})`,
        ),
      );
      assert.ok(outcomeLines(result).includes(`Postmortem: ${pm.file} in postmortems (${pm.sha.slice(0, 12)})`));
    },
  );

  it('warns when the promotion also changed config', async () => {
    const overlay = await world.repo.show('apps/users-api/overlays/staging/kustomization.yaml');
    const patch = await world.repo.show('apps/users-api/overlays/staging/configmap-patch.yaml');
    await world.repo.commit(
      {
        'apps/users-api/overlays/staging/kustomization.yaml': overlay.replace(/newTag: .*/, 'newTag: 1.44.0'),
        'apps/users-api/overlays/staging/configmap-patch.yaml': patch.replace(
          /DB_HOST: .*/,
          'DB_HOST: db-staging-2.internal',
        ),
      },
      'promote users-api 1.44.0 to staging with the new primary',
    );
    const run = await start(world, { app: 'users-api', env: 'staging', as: 'carol', reason: 'latency after 1.44.0' });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.deepEqual(
      result.plan!.promotion.config.map((c) => [c.key, c.from, c.to]),
      [['DB_HOST', 'db-staging.internal', 'db-staging-2.internal']],
    );
    assert.ok(
      result.plan!.warnings.some((w) => /also changed config .*DB_HOST/.test(w)),
      result.plan!.warnings.join(' | '),
    );
  });

  it('ends "not restored" and shows the drift when the regression lives in the environment', async () => {
    // Months ago someone ran `kubectl set env deployment/users-api DB_HOST=db-old.internal` in prod;
    // Argo CD leaves fields it never applied alone, so every sync since kept it.
    const apps = world.kube.kc.makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeployment(
      {
        namespace: 'users-api-prod',
        name: 'users-api',
        body: [
          {
            op: 'add',
            path: '/spec/template/spec/containers/0/env',
            value: [{ name: 'DB_HOST', value: 'db-old.internal' }],
          },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const removeDrift = () =>
      apps.patchNamespacedDeployment(
        {
          namespace: 'users-api-prod',
          name: 'users-api',
          body: [{ op: 'remove', path: '/spec/template/spec/containers/0/env' }],
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      );
    try {
      const bad = await world.repo.promote('users-api', 'prod', '1.43.0');
      await refreshArgo(world.kube.kc, 'users-api-prod');
      await syncedAt('users-api-prod', bad.sha);
      const run = await start(world, { app: 'users-api', env: 'prod', as: 'carol', reason: 'errors after 1.43.0' });
      const waiting = await untilPhase(world, run.workflowId, 'awaiting-approval');
      assert.ok(waiting.plan!.drift.real > 0, 'the plan shows the live drift before anything is reverted');
      assert.ok(waiting.plan!.warnings.some((w) => /may not restore service/.test(w)));
      await decide(world.rewind(), run.workflowId, { decision: 'approve', by: person(world.rewind().cfg, 'bob') });
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'not-restored', result.result);
      assert.match(result.result!, /may live in the environment/);
      assert.match(
        result.result!,
        /apps\/Deployment\/users-api-prod\/users-api.*\/spec\/template\/spec\/containers\/0\/env/,
      );
      assert.equal(result.restoredAt, undefined);
    } finally {
      await removeDrift();
    }
    await healthy('users-api-prod');
  });

  it('lets one run hold an app and environment; a second request is told which run holds it', async () => {
    const headBefore = await world.repo.head();
    const first = await start(world, { app: 'users-api', env: 'prod', as: 'alice', reason: 'first' });
    await untilPhase(world, first.workflowId, 'awaiting-approval');
    await assert.rejects(
      start(world, { app: 'users-api', env: 'prod', as: 'carol', reason: 'second' }),
      (e: Error) =>
        e instanceof RefusedError &&
        e.code === 'busy' &&
        /held by rollback requested by alice \(awaiting-approval\): first/.test(e.message),
    );
    await assert.rejects(
      cancelRun(world.rewind(), first.workflowId, person(world.rewind().cfg, 'mallory')),
      /cannot cancel/,
    );
    await cancelRun(world.rewind(), first.workflowId, person(world.rewind().cfg, 'alice'), 'duplicate');
    const result = (await first.handle.result()) as RunStatus;
    assert.equal(result.phase, 'cancelled');
    assert.equal(await world.repo.head(), headBefore, 'a cancelled run changes nothing');
  });

  it('says a revert does not undo a migration shipped beside the app (a Flux Kustomization it dependsOn)', async () => {
    // billing-worker-prod dependsOn billing-worker-prod-migrations, which applies
    // apps/billing-worker/prod-migrations from the same GitRepository. Suspended: the test reads what it
    // declares, never what it would apply.
    const custom = world.kube.kc.makeApiClient(k8s.CustomObjectsApi);
    const ks = {
      group: 'kustomize.toolkit.fluxcd.io',
      version: 'v1',
      namespace: 'flux-system',
      plural: 'kustomizations',
    };
    const migrations = 'billing-worker-prod-migrations';
    const schema = (v: number) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: billing-schema\n  namespace: billing-worker-prod\n` +
      `data:\n  version: "${v}"\n`;
    await world.repo.commit({ 'apps/billing-worker/prod-migrations/schema.yaml': schema(1) }, 'billing schema v1');
    await custom.createNamespacedCustomObject({
      ...ks,
      body: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: migrations, namespace: 'flux-system' },
        spec: {
          suspend: true,
          interval: '10m',
          path: './apps/billing-worker/prod-migrations/',
          prune: false,
          sourceRef: { kind: 'GitRepository', name: 'config-repo' },
        },
      },
    });
    await custom.patchNamespacedCustomObject(
      { ...ks, name: 'billing-worker-prod', body: { spec: { dependsOn: [{ name: migrations }] } } },
      mergePatch,
    );
    try {
      const deployment = await world.repo.show('apps/billing-worker/prod/deployment.yaml');
      const promotion = await world.repo.commit(
        {
          'apps/billing-worker/prod/deployment.yaml': deployment.replace(
            /billing-worker:[0-9.]+/,
            'billing-worker:2.6.0',
          ),
          'apps/billing-worker/prod-migrations/schema.yaml': schema(2),
        },
        'promote billing-worker 2.6.0 to prod with schema v2',
      );
      const run = await start(world, { app: 'billing-worker', env: 'prod', as: 'bob', reason: 'slow after 2.6.0' });
      const waiting = await untilPhase(world, run.workflowId, 'awaiting-approval');
      const plan = waiting.plan!;
      assert.equal(plan.promotion.sha, promotion);
      assert.deepEqual(plan.engine.dependsOn, [
        {
          name: migrations,
          namespace: 'flux-system',
          path: 'apps/billing-worker/prod-migrations',
          migration: `its name ${migrations}`,
        },
      ]);
      assert.deepEqual(plan.promotion.migrations, [
        {
          object: `kustomization/flux-system/${migrations}`,
          why:
            `kustomization flux-system/${migrations}, which billing-worker-prod dependsOn, looks like a migration ` +
            'by its name billing-worker-prod-migrations, and the promotion changed what it applies ' +
            '(apps/billing-worker/prod-migrations/schema.yaml)',
        },
      ]);
      assert.ok(
        plan.warnings.some((w) =>
          w.startsWith(
            `kustomization flux-system/${migrations}, which billing-worker-prod dependsOn, looks like a migration ` +
              'by its name billing-worker-prod-migrations, and the promotion changed what it applies ' +
              '(apps/billing-worker/prod-migrations/schema.yaml): reverting does not undo a migration it ran.',
          ),
        ),
        plan.warnings.join(' | '),
      );
      await cancelRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'bob'), 'checked the schema');
      assert.equal(((await run.handle.result()) as RunStatus).phase, 'cancelled');
    } finally {
      await custom
        .patchNamespacedCustomObject(
          { ...ks, name: 'billing-worker-prod', body: { spec: { dependsOn: null } } },
          mergePatch,
        )
        .catch(() => undefined);
      await custom.deleteNamespacedCustomObject({ ...ks, name: migrations }).catch(() => undefined);
    }
  });

  it('refuses unknown apps, non-owners and bad shas before anything starts', async () => {
    const headBefore = await world.repo.head();
    await assert.rejects(
      start(world, { app: 'payments', env: 'prod', as: 'alice', reason: 'x' }),
      /unknown app "payments". Known apps: users-api, billing-worker/,
    );
    await assert.rejects(
      start(world, { app: 'users-api', env: 'qa', as: 'alice', reason: 'x' }),
      /no environment "qa"/,
    );
    await assert.rejects(
      start(world, { app: 'users-api', env: 'prod', as: 'mallory', reason: 'x' }),
      /mallory is not an owner of users-api/,
    );
    await assert.rejects(
      start(world, { app: 'users-api', env: 'prod', as: 'alice', reason: 'x', commit: '--upload-pack=evil' }),
      /not a commit sha/,
    );
    await assert.rejects(
      start(world, { app: 'users-api', env: 'prod', as: 'alice', reason: 'x', preApproved: true }),
      /does not allow --yes/,
    );
    assert.equal(await world.repo.head(), headBefore);
    const open = [];
    for await (const wf of world.rewind().client.workflow.list({ query: `ExecutionStatus = 'Running'` }))
      open.push(wf.workflowId);
    assert.deepEqual(open, []);
  });

  it('aborts a conflicting revert cleanly: nothing pushed, a precise error', async () => {
    const first = await world.repo.promote('users-api', 'dev', '1.45.0');
    const later = await world.repo.promote('users-api', 'dev', '1.46.0');
    const headBefore = await world.repo.head();
    const run = await start(world, {
      app: 'users-api',
      env: 'dev',
      as: 'alice',
      reason: 'revert 1.45 specifically',
      commit: first.sha,
    });
    const result = (await run.handle.result()) as RunStatus;
    // The plan said so before any approval would have been asked for.
    assert.ok(
      result.plan!.warnings.includes(
        `Reverting ${first.sha.slice(0, 7)} will conflict in apps/users-api/overlays/dev/kustomization.yaml ` +
          `with later change(s): ${later.sha.slice(0, 7)} "promote users-api 1.46.0 to ` +
          `dev" (ci-bot): after approval it would stop with nothing pushed. Reject this ` +
          `run and revert by hand, or roll back the later change first (--to <sha>).`,
      ),
      result.plan!.warnings.join(' | '),
    );
    assert.equal(result.phase, 'failed');
    assert.match(result.result!, /conflict/i);
    assert.match(result.result!, /apps\/users-api\/overlays\/dev\/kustomization\.yaml/);
    assert.equal(await world.repo.head(), headBefore);
  });

  it('rebases over foreign commits pushed while the run waits for approval', async () => {
    const bad = await world.repo.promote('users-api', 'prod', '1.43.0');
    const run = await start(world, { app: 'users-api', env: 'prod', as: 'alice', reason: 'again 1.43.0' });
    await untilPhase(world, run.workflowId, 'awaiting-approval');
    const foreign = await world.repo.commit(
      { 'README.md': `${await world.repo.show('README.md')}\nOn-call: see the runbook.\n` },
      'docs: on-call pointer',
    );
    await decide(world.rewind(), run.workflowId, { decision: 'approve', by: person(world.rewind().cfg, 'bob') });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    const log = await gitLog(world, 3);
    assert.deepEqual(log.map((c) => c.sha).slice(0, 3), [result.revertSha, foreign, bad.sha]);
  });
});
