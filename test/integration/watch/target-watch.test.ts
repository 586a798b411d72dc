/**
 * The per-target watch against the real world (real Argo CD and Flux, kube-apiserver, Temporal
 * dev server): a hand edit of a live ConfigMap is journaled as a live edit, and the sync that
 * overwrites it as an overwrite naming the editor and the engine's revision, which is exactly
 * the evidence the cluster no longer holds after the sync.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createWatchActivities } from '../../../activities/watch/index.js';
import { GitSourceCache } from '../../../src/lib/gitops/git-source.js';
import { clustersFromConfig } from '../../../src/lib/kube/clusters.js';
import { restFor } from '../../../src/lib/kube/rest-pool.js';
import { targetSnapshot } from '../../../src/lib/runs.js';
import path from 'node:path';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { ensureTargetWatches, readJournal } from '../../../src/lib/watch/target-watches.js';
import { watchedTargetQuery } from '../../../workflows/watch/messages.js';
import type { Journal, RecentOverwrites } from '../../../workflows/watch/types.js';
import { argoApp, fluxKs } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';

let world: World;

const APP = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/users-api-prod';
const KS = '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/billing-worker-prod';

/** `kubectl edit` as the API server sees it: a merge patch under the field manager kubectl-edit. */
async function kubectlEdit(path: string, patch: object): Promise<void> {
  const rest = await restFor(world.kube.kc);
  await rest.request('PATCH', path, {
    body: patch,
    contentType: 'application/merge-patch+json',
    query: { fieldManager: 'kubectl-edit' },
  });
}

/** The recentOverwrites activity as a runbook step runs it: in an activity context whose client is the worker's. */
function recentOverwrites(app: string, env: string, since: string): Promise<RecentOverwrites> {
  const acts = createWatchActivities({
    clusters: clustersFromConfig(world.config),
    sources: new GitSourceCache(path.join(world.dir, 'watch-test-git')),
  });
  const ctx = new MockActivityEnvironment(undefined, { client: world.rewind().client });
  return ctx.run(acts.recentOverwrites, {
    target: targetSnapshot(world.config, app, env),
    since,
  }) as Promise<RecentOverwrites>;
}

async function mergePatch(path: string, patch: object): Promise<void> {
  await (await restFor(world.kube.kc)).mergePatch(path, patch);
}

async function journalOf(app: string, env: string, what: string, ok: (j: Journal) => boolean): Promise<Journal> {
  return waitFor(
    `${app}/${env} journal: ${what}`,
    async () => {
      const j = await readJournal(world.rewind(), app, env);
      return j && ok(j) ? j : undefined;
    },
    240_000,
    1000,
  );
}

describe('target watch', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev' });
    await world.startWorker();
    await world.startWatches();
    await waitFor(
      'users-api-prod Synced and Healthy',
      async () => {
        const a = await argoApp(world.kube.kc, 'users-api-prod');
        return a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
      },
      240_000,
      1000,
    );
    await waitFor(
      'billing-worker-prod Ready',
      async () =>
        (await fluxKs(world.kube.kc, 'billing-worker-prod')).status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
      240_000,
      1000,
    );
    // Edits count only once the watch has its baseline (the first list).
    for (const [app, env] of [
      ['users-api', 'prod'],
      ['billing-worker', 'prod'],
    ] as const)
      await journalOf(app, env, 'baseline taken', (j) => j.baselines.length > 0);
  });
  after(async () => {
    await world?.stop();
  });

  it(
    'Argo CD: journals a kubectl edit of DB_HOST and the ' + 'promotion sync that overwrote it, with the sync revision',
    async () => {
      await mergePatch(APP, { spec: { syncPolicy: { automated: { prune: true, selfHeal: false } } } });
      await waitFor(
        'users-api-prod Synced and Healthy without self-heal',
        async () => {
          const a = await argoApp(world.kube.kc, 'users-api-prod');
          return (
            a.spec.syncPolicy?.automated?.selfHeal === false &&
            a.status?.sync?.status === 'Synced' &&
            a.status.health?.status === 'Healthy'
          );
        },
        120_000,
        500,
      );
      const since = new Date().toISOString();
      await kubectlEdit('/api/v1/namespaces/users-api-prod/configmaps/users-api-env', {
        data: { DB_HOST: 'db-prod-2.internal' },
      });
      await journalOf('users-api', 'prod', 'the live edit', (j) => j.edits.some((e) => e.path === '/data/DB_HOST'));

      const promotion = await world.repo.promote('users-api', 'prod', '1.43.0');
      await mergePatch(APP, { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
      await waitFor(
        `users-api-prod synced at ${promotion.sha.slice(0, 7)}`,
        async () => {
          const a = await argoApp(world.kube.kc, 'users-api-prod');
          return a.status?.sync?.revision === promotion.sha && a.status.operationState?.phase === 'Succeeded';
        },
        240_000,
        500,
      );
      const journal = await journalOf('users-api', 'prod', 'the overwrite', (j) =>
        j.overwrites.some((o) => o.path === '/data/DB_HOST'),
      );

      const edit = journal.edits.find((e) => e.object === 'configmap/users-api-env' && e.path === '/data/DB_HOST');
      assert.deepEqual(
        [edit?.before, edit?.after, edit?.manager, edit?.namespace],
        ['db-prod.internal', 'db-prod-2.internal', 'kubectl-edit', 'users-api-prod'],
      );
      const overwrite = journal.overwrites.find(
        (o) => o.object === 'configmap/users-api-env' && o.path === '/data/DB_HOST',
      );
      assert.deepEqual(
        [
          overwrite?.liveBefore,
          overwrite?.git,
          overwrite?.origin,
          overwrite?.editedBy,
          overwrite?.editedAt,
          overwrite?.syncRevision,
          overwrite?.syncManager,
        ],
        [
          'db-prod-2.internal',
          'db-prod.internal',
          'live-edit',
          'kubectl-edit',
          edit?.at,
          promotion.sha,
          'argocd-controller',
        ],
        JSON.stringify(overwrite),
      );
      // The promotion's own change (the image) is a sync over a synced value: Git moving on, not drift.
      const image = journal.overwrites.find((o) => o.object === 'deployment/users-api' && o.path.endsWith('/image'));
      assert.deepEqual(
        [image?.liveBefore, image?.git, image?.origin],
        ['ghcr.io/acme/users-api:1.42.0', 'ghcr.io/acme/users-api:1.43.0', 'sync'],
      );
      // Turning self-heal off is itself a live edit, of the engine object.
      assert.ok(
        journal.edits.some(
          (e) =>
            e.object === 'application/users-api-prod' &&
            e.path === '/spec/syncPolicy/automated/selfHeal' &&
            e.after === false,
        ),
        JSON.stringify(journal.edits),
      );

      // The activity a runbook step calls reads the same journal through the worker's client.
      const recent = await recentOverwrites('users-api', 'prod', since);
      assert.equal(recent.watched, true);
      assert.deepEqual(
        recent.overwrites
          .filter((o) => o.path === '/data/DB_HOST')
          .map((o) => [o.liveBefore, o.git, o.origin, o.editedBy, o.syncRevision]),
        [['db-prod-2.internal', 'db-prod.internal', 'live-edit', 'kubectl-edit', promotion.sha]],
      );
      const later = await recentOverwrites('users-api', 'prod', new Date(Date.now() + 60_000).toISOString());
      assert.deepEqual([later.watched, later.overwrites], [true, []]);
    },
  );

  it(
    'Argo CD: a live edit that Git then took in (an emergency ' + 'fix) is not drift when a later commit changes it',
    async () => {
      const cm = '/api/v1/namespaces/users-api-prod/configmaps/users-api-env';
      const since = new Date().toISOString();
      const synced = async (what: string, sha: string, operation: boolean) => {
        await mergePatch(APP, { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
        return waitFor(
          `users-api-prod ${what} at ${sha.slice(0, 7)}`,
          async () => {
            const a = await argoApp(world.kube.kc, 'users-api-prod');
            const op = a.status?.operationState as { phase?: string; syncResult?: { revision?: string } } | undefined;
            return (
              a.status?.sync?.revision === sha &&
              a.status.sync.status === 'Synced' &&
              (!operation || (op?.phase === 'Succeeded' && op.syncResult?.revision === sha))
            );
          },
          240_000,
          1000,
        );
      };
      // The emergency path: rewind patches live, then commits the same value.
      const rest = await restFor(world.kube.kc);
      await rest.request('PATCH', cm, {
        body: { data: { DB_HOST: 'db-prod-3.internal' } },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: 'rewind' },
      });
      await journalOf('users-api', 'prod', 'the emergency patch', (j) =>
        j.edits.some((e) => e.path === '/data/DB_HOST' && e.after === 'db-prod-3.internal'),
      );
      const file = 'apps/users-api/overlays/prod/configmap-patch.yaml';
      const withHost = async (host: string) => (await world.repo.show(file)).replace(/DB_HOST: .*/, `DB_HOST: ${host}`);
      const fix = await world.repo.commit(
        { [file]: await withHost('db-prod-3.internal') },
        'users-api prod: DB_HOST as patched live',
      );
      await synced('Synced', fix, false);
      // Weeks later a failover moves it in Git.
      const failover = await world.repo.commit(
        { [file]: await withHost('db-prod.internal') },
        'users-api prod: fail back',
      );
      await synced('synced', failover, true);
      const journal = await journalOf('users-api', 'prod', "the failover's sync", (j) =>
        j.overwrites.some((o) => o.path === '/data/DB_HOST' && o.liveBefore === 'db-prod-3.internal'),
      );
      // The journal keeps what the cluster showed (rewind's write, then the engine's)...
      const raw = journal.overwrites.find((o) => o.path === '/data/DB_HOST' && o.liveBefore === 'db-prod-3.internal');
      assert.deepEqual([raw?.origin, raw?.editedBy], ['live-edit', 'rewind'], JSON.stringify(raw));
      // ...and what a diagnosis reads says Git held that value before the failover commit.
      const recent = await recentOverwrites('users-api', 'prod', since);
      const read = recent.overwrites.filter((o) => o.path === '/data/DB_HOST');
      assert.deepEqual(
        read.map((o) => [o.liveBefore, o.git, o.origin, o.heldByGit]),
        [['db-prod-3.internal', 'db-prod.internal', 'sync', fix]],
        JSON.stringify(read),
      );
    },
  );

  it("Flux: journals a kubectl edit of QUEUE_URL and the reconcile that put Git's value back", async () => {
    await kubectlEdit('/api/v1/namespaces/billing-worker-prod/configmaps/billing-worker-env', {
      data: { QUEUE_URL: 'amqp://mq-prod-2.internal' },
    });
    await journalOf('billing-worker', 'prod', 'the live edit', (j) =>
      j.edits.some((e) => e.path === '/data/QUEUE_URL'),
    );
    await mergePatch(KS, {
      metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } },
    });
    const journal = await journalOf('billing-worker', 'prod', 'the overwrite', (j) =>
      j.overwrites.some((o) => o.path === '/data/QUEUE_URL'),
    );
    const ks = (await fluxKs(world.kube.kc, 'billing-worker-prod')) as { status?: { lastAttemptedRevision?: string } };

    const edit = journal.edits.find((e) => e.object === 'configmap/billing-worker-env' && e.path === '/data/QUEUE_URL');
    assert.deepEqual(
      [edit?.before, edit?.after, edit?.manager],
      ['amqp://mq-prod.internal', 'amqp://mq-prod-2.internal', 'kubectl-edit'],
    );
    const overwrite = journal.overwrites.find(
      (o) => o.object === 'configmap/billing-worker-env' && o.path === '/data/QUEUE_URL',
    );
    assert.deepEqual(
      [overwrite?.liveBefore, overwrite?.git, overwrite?.origin, overwrite?.editedBy, overwrite?.syncManager],
      ['amqp://mq-prod-2.internal', 'amqp://mq-prod.internal', 'live-edit', 'kubectl-edit', 'kustomize-controller'],
      JSON.stringify(overwrite),
    );
    assert.ok(ks.status?.lastAttemptedRevision, 'Flux names its revision');
    assert.equal(overwrite?.syncRevision, ks.status?.lastAttemptedRevision);
  });

  it('journals a Secret edit without its value', async () => {
    const rest = await restFor(world.kube.kc);
    await rest.request('POST', '/api/v1/namespaces/users-api-prod/secrets', {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'users-api-db' },
        type: 'Opaque',
        stringData: { password: 'first-Passw0rd' },
      },
      query: { fieldManager: 'kubectl-create' },
    });
    // stringData (write-only: managedFields keep it under f:stringData), then data as `kubectl edit` sends it.
    await kubectlEdit('/api/v1/namespaces/users-api-prod/secrets/users-api-db', {
      stringData: { password: 'second-Passw0rd' },
    });
    await journalOf('users-api', 'prod', 'the first Secret edit', (j) =>
      j.edits.some((e) => e.object === 'secret/users-api-db'),
    );
    await rest.request('PATCH', '/api/v1/namespaces/users-api-prod/secrets/users-api-db', {
      body: { data: { password: Buffer.from('third-Passw0rd').toString('base64') } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'rotate-script' },
    });
    const journal = await journalOf(
      'users-api',
      'prod',
      'the second Secret edit',
      (j) => j.edits.filter((e) => e.object === 'secret/users-api-db').length >= 2,
    );
    const edits = journal.edits.filter((e) => e.object === 'secret/users-api-db');
    assert.deepEqual(
      edits.map((e) => [e.path, e.manager]),
      [
        ['/data/password', 'kubectl-edit'],
        ['/data/password', 'rotate-script'],
      ],
    );
    for (const e of edits) {
      assert.match(String(e.before), /^\(secret value, sha256 [0-9a-f]{8}\)$/);
      assert.match(String(e.after), /^\(secret value, sha256 [0-9a-f]{8}\)$/);
    }
    assert.equal(edits[1]!.before, edits[0]!.after, 'digests chain: the same value reads the same');
    const text = JSON.stringify(journal);
    for (const secret of ['first-Passw0rd', 'second-Passw0rd', 'third-Passw0rd']) {
      assert.ok(
        !text.includes(secret) && !text.includes(Buffer.from(secret).toString('base64')),
        `the journal holds no trace of ${secret}`,
      );
    }
  });

  it(
    "a worker without the cursor's versions rebuilds them " + "at the cursor's resourceVersions and misses no edit",
    async () => {
      const rest = await restFor(world.kube.kc);
      await rest.request('POST', '/api/v1/namespaces/users-api-dev/configmaps', {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'scratch' }, data: { MODE: 'a' } },
        query: { fieldManager: 'kubectl-create' },
      });
      const target = targetSnapshot(world.config, 'users-api', 'dev');
      const clusters = clustersFromConfig(world.config);
      const first = await createWatchActivities({
        clusters,
        sources: new GitSourceCache(path.join(world.dir, 'watch-test-git')),
      }).observeTarget({ target, maxMs: 30_000 });
      assert.ok(first.baselineAt, 'no cursor: a new baseline, returned at once');
      // Made while no worker holds the versions (a restart); a fresh activity set is a worker with empty memory.
      await kubectlEdit('/api/v1/namespaces/users-api-dev/configmaps/scratch', { data: { MODE: 'b' } });
      const next = await createWatchActivities({
        clusters,
        sources: new GitSourceCache(path.join(world.dir, 'watch-test-git')),
      }).observeTarget({
        target,
        cursor: first.cursor,
        maxMs: 60_000,
      });
      assert.equal(next.baselineAt, undefined);
      assert.deepEqual(
        next.edits.filter((e) => e.object === 'configmap/scratch').map((e) => [e.path, e.before, e.after, e.manager]),
        [['/data/MODE', 'a', 'b', 'kubectl-edit']],
      );
    },
  );

  it('is idempotent, says when no watch runs, and stops the watches of targets no longer configured', async () => {
    const rw = world.rewind();
    const runIdOf = async (id: string) => (await rw.client.workflow.getHandle(id).describe()).runId;
    const before = await runIdOf('rewind-watch/users-api/dev');
    const again = await ensureTargetWatches(rw);
    assert.equal(again.running.length, 5);
    assert.deepEqual([again.retargeted, again.stopped], [[], []]);
    assert.equal(await runIdOf('rewind-watch/users-api/dev'), before, 'the running watch is kept');

    await rw.client.workflow.getHandle('rewind-watch/users-api/dev').terminate('test: no watch');
    assert.equal(await readJournal(rw, 'users-api', 'dev'), undefined);
    assert.deepEqual(await recentOverwrites('users-api', 'dev', new Date(0).toISOString()), {
      watched: false,
      overwrites: [],
      edits: [],
      baselinesSince: [],
    });
    await assert.rejects(readJournal(rw, 'users-api', 'qa'), /qa/);

    const { 'billing-worker': _dropped, ...apps } = world.config.apps;
    const shrunk = await ensureTargetWatches({ ...rw, cfg: { ...world.config, apps } });
    assert.deepEqual(shrunk.stopped.sort(), ['rewind-watch/billing-worker/dev', 'rewind-watch/billing-worker/prod']);
    assert.ok(shrunk.running.includes('rewind-watch/users-api/dev'), 'a closed watch is started again');
    assert.equal(await readJournal(rw, 'billing-worker', 'prod'), undefined);
  });

  it('moves a watch whose target moved (namespace), keeping its journal', async () => {
    const rw = world.rewind();
    const moved = structuredClone(world.config);
    moved.apps['users-api']!.environments.staging!.namespace = 'users-api-staging-moved';
    const since = (await journalOf('users-api', 'staging', 'baseline taken', (j) => j.baselines.length > 0))
      .watchingSince;
    const ensured = await ensureTargetWatches({ ...rw, cfg: moved });
    assert.deepEqual(ensured.retargeted, ['rewind-watch/users-api/staging']);
    const handle = rw.client.workflow.getHandle('rewind-watch/users-api/staging');
    await waitFor(
      'the watch runs in the new namespace',
      async () => (await handle.query(watchedTargetQuery)).namespace === 'users-api-staging-moved',
      120_000,
      500,
    );
    const journal = await journalOf(
      'users-api',
      'staging',
      'a baseline in the new place',
      (j) => j.baselines.length > 1,
    );
    assert.equal(journal.watchingSince, since, 'the journal is kept');
    assert.deepEqual((await ensureTargetWatches({ ...rw, cfg: moved })).retargeted, [], 'once moved, nothing to do');
  });
});
