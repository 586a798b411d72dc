/**
 * The emergency path end to end on the real world: the seed incident (a ConfigMap fixed live
 * that must reach Git before auto-sync resumes), its Flux variant, refusals that change nothing,
 * a held pause that refuses to resume while drift remains, and resolve / abandon.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { chmod, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { listPauses } from '../../../src/lib/pauses.js';
import { abandonRun, decide, person, resolveRun } from '../../../src/lib/runs.js';
import { clustersFromConfig } from '../../../src/lib/kube/clusters.js';
import { SANDBOX_FAULTS } from '../../../src/sandbox/world/world-config.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp, fluxKs } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start, untilPhase, terminateRunning } from '../../support/world-runs.js';

let world: World;
const cm = (ns: string, name: string) =>
  world.kube.kc.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ namespace: ns, name });

async function appHealthy(name: string) {
  return waitFor(
    `${name} Synced and Healthy`,
    async () => {
      const app = await argoApp(world.kube.kc, name);
      return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' ? app : undefined;
    },
    90_000,
  );
}

describe('emergency path', () => {
  before(async () => {
    world = await startWorld({
      temporal: 'dev',
      health: { window: '2s', timeout: '60s' },
      controller: { selfHealDelayMs: 1000 },
    });
    await world.startWorker();
    await appHealthy('users-api-prod');
  });
  after(async () => {
    await world?.stop();
  });
  afterEach(async () => {
    await terminateRunning(world);
    world.workloads.setFaults(SANDBOX_FAULTS);
  });

  it(
    'the seed incident: fixes DB_HOST live under selfHeal, commits ' +
      'it with comments intact, resumes prune+selfHeal exactly',
    async () => {
      // The database primary moved: only db-prod-2 answers now, and Git still says db-prod.
      world.workloads.setFaults([
        ...SANDBOX_FAULTS.filter((f) => !f.env),
        {
          name: 'primary moved',
          namespace: 'users-api-prod',
          deployment: 'users-api',
          env: { name: 'DB_HOST', mustEqual: 'db-prod-2.internal' },
          message: 'connection refused: db-prod.internal is read-only',
        },
      ]);
      const patchFile = 'apps/users-api/overlays/prod/configmap-patch.yaml';
      const before = await world.repo.show(patchFile);
      const change = parseChange('configmap/users-api-env DB_HOST=db-prod-2.internal', 'users-api-prod');
      const run = await start(world, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'prod',
        as: 'alice',
        reason: 'primary failover',
        incidentId: 'INC-7',
        changes: [change],
      });
      const waiting = await untilPhase(world, run.workflowId, 'awaiting-approval');
      assert.deepEqual(waiting.emergency!.changes[0]!.fields, [
        { path: '/data/DB_HOST', live: 'db-prod.internal', desired: 'db-prod-2.internal' },
      ]);
      assert.deepEqual([...new Set(waiting.emergency!.gitEdits.map((e) => e.file))], [patchFile]);
      const app0 = await argoApp(world.kube.kc, 'users-api-prod');
      assert.deepEqual(
        app0.spec.syncPolicy?.automated,
        { prune: true, selfHeal: true },
        'nothing is paused before approval',
      );
      await decide(world.rewind(), run.workflowId, { decision: 'approve', by: person(world.rewind().cfg, 'bob') });

      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      assert.equal(
        (await cm('users-api-prod', 'users-api-env')).data?.DB_HOST,
        'db-prod-2.internal',
        'self-heal did not undo the live fix',
      );
      const afterText = await world.repo.show(patchFile);
      assert.equal(
        afterText,
        before.replace(/DB_HOST: .*/, (line) => line.replace(/db-prod\.internal/, 'db-prod-2.internal')),
        'only the value changed; comments and layout intact',
      );
      const [head] = await gitLog(world, 1);
      assert.equal(head!.sha, result.commitSha);
      assert.equal(head!.author, 'Alice Ops <alice@acme.test>');
      assert.match(head!.body, /Rewind-Run: rewind\/users-api\/prod\//);
      const app = await appHealthy('users-api-prod');
      assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
      assert.equal(app.metadata.annotations?.['rewind.dev/pause-lease'], undefined, 'the lease is gone');
      const order = result.steps.map((s) => `${s.name}:${s.state}`);
      assert.deepEqual(order, [
        'plan:done',
        'approve:done',
        'pause:done',
        'patch:done',
        'verify-service:done',
        'commit:done',
        'pull-request:skipped',
        'gate:done',
        'engine-fetched:done',
        'resume:done',
        'refresh:done',
        'wait-for-sync:done',
        'verify-health:done',
      ]);
    },
  );

  it('Flux variant: suspends, patches, commits the plain-YAML file, resumes', async () => {
    const change = parseChange(
      'configmap/billing-worker-env QUEUE_URL=amqp://mq-prod-2.internal',
      'billing-worker-prod',
    );
    const run = await start(world, {
      runbook: 'emergency-change',
      app: 'billing-worker',
      env: 'prod',
      as: 'bob',
      reason: 'broker failover',
      changes: [change],
    });
    await untilPhase(world, run.workflowId, 'awaiting-approval');
    await decide(world.rewind(), run.workflowId, { decision: 'approve', by: person(world.rewind().cfg, 'carol') });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.match(
      await world.repo.show('apps/billing-worker/prod/configmap.yaml'),
      /QUEUE_URL: amqp:\/\/mq-prod-2\.internal/,
    );
    const ks = await fluxKs(world.kube.kc, 'billing-worker-prod');
    assert.equal(ks.spec.suspend, false);
    assert.equal(ks.status?.lastAppliedRevision, `main@sha1:${result.commitSha}`);
  });

  it('refuses an unknown object or a bad patch before anything is paused', async () => {
    const headBefore = await world.repo.head();
    for (const text of ['configmap/does-not-exist A=b', 'deployment/users-api {"spec":{"replicas":"three"}}']) {
      const run = await start(world, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'staging',
        as: 'alice',
        reason: 'bad input',
        changes: [parseChange(text, 'users-api-staging')],
      });
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'failed');
      assert.match(
        result.result!,
        text.startsWith('configmap') ? /does not exist in users-api-staging/ : /refuses the patch/,
      );
      const app = await argoApp(world.kube.kc, 'users-api-staging');
      assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true }, 'nothing paused');
    }
    assert.equal(await world.repo.head(), headBefore, 'nothing pushed');
  });

  it('a rejected push holds the pause; resume is refused while drift remains; resolve once Git holds it', async () => {
    const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "rejected: main is protected" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    try {
      const change = parseChange('configmap/users-api-env LOG_LEVEL=debug', 'users-api-staging');
      const run = await start(world, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'staging',
        as: 'alice',
        reason: 'need debug logs',
        changes: [change],
      });
      const held = await untilPhase(world, run.workflowId, 'held-paused');
      assert.match(held.result!, /stays PAUSED/);
      assert.equal(held.steps.find((s) => s.name === 'commit')!.state, 'failed');
      const app = await argoApp(world.kube.kc, 'users-api-staging');
      assert.equal(app.spec.syncPolicy?.automated ?? null, null, 'auto-sync stays paused');
      const pauses = await listPauses(world.config, clustersFromConfig(world.config));
      const row = pauses.find((p) => p.app === 'users-api' && p.env === 'staging');
      assert.equal(row?.lease?.by, 'alice');
      assert.equal(row?.flag, undefined);

      await resolveRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'carol'));
      await waitFor('resolve refused', async () => {
        const timeline = await run.handle.query<Array<{ summary: string }>>('timeline');
        return timeline.some((e) => /resolve refused: Git still differs/.test(e.summary)) || undefined;
      });
      assert.equal((await untilPhase(world, run.workflowId, 'held-paused')).phase, 'held-paused');
      await assert.rejects(
        abandonRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'carol'), false),
        /confirm it explicitly/,
      );
      await assert.rejects(
        resolveRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'mallory')),
        /neither an owner nor an approver/,
      );

      await rm(hook);
      const file = 'apps/users-api/overlays/staging/configmap-patch.yaml';
      await world.repo.commit(
        { [file]: (await world.repo.show(file)).replace(/(\n\s*DB_HOST: .*\n)/, '$1  LOG_LEVEL: debug\n') },
        'staging: debug logs (by hand)',
      );
      await resolveRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'carol'));
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'resolved', result.result);
      const resumed = await argoApp(world.kube.kc, 'users-api-staging');
      assert.deepEqual(resumed.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
    } finally {
      await rm(hook, { force: true });
    }
  });

  it('abandon resumes auto-sync and lets Git win', async () => {
    const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\nexit 1\n');
    await chmod(hook, 0o755);
    try {
      const run = await start(world, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'dev',
        as: 'alice',
        reason: 'try a flag',
        changes: [parseChange('configmap/users-api-env FEATURE_FLAGS=beta', 'users-api-dev')],
      });
      await untilPhase(world, run.workflowId, 'held-paused');
      await abandonRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'alice'), true, 'not worth it');
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'abandoned');
      await waitFor('self-heal to put Git back', async () =>
        (await cm('users-api-dev', 'users-api-env')).data?.FEATURE_FLAGS === '' ? true : undefined,
      );
    } finally {
      await rm(hook, { force: true });
    }
  });
});
