import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGitActivities } from '../../../activities/git/index.js';
import { GitSourceCache } from '../../../src/lib/gitops/git-source.js';
import { FailureType } from '../../../workflows/types.js';
import { gitWorld, target, type GitWorld, failsWith } from './fixtures.js';

const IMAGE = 'ghcr.io/acme/users-api';
const DEPLOYMENT = 'apps/Deployment/users-api-prod/users-api';
const CONFIGMAP = '/ConfigMap/users-api-prod/users-api-env';

describe('findPromotion on the seeded config repo (unchanged)', () => {
  let world: GitWorld;
  before(async () => {
    world = await gitWorld();
  });
  after(async () => {
    await world.dispose();
  });

  it('finds the newest users-api prod promotion, 1.41.0 → 1.42.0, with images and no config change', async () => {
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const expected = world.repo.promotions.filter((p) => p.app === 'users-api' && p.env === 'prod').at(-1);
    assert.ok(expected && expected.to === '1.42.0');
    const d = await findPromotion({ target: target(world.repo, 'users-api', 'prod', 'https://git.acme.test/config/') });
    assert.equal(d.sha, expected.sha);
    assert.equal(d.parent, (await world.bare.raw(['rev-parse', `${expected.sha}^`])).trim());
    assert.equal(d.subject, 'promote users-api 1.42.0 to prod');
    assert.equal(d.author, 'ci-bot <ci@acme.test>');
    assert.ok(!Number.isNaN(Date.parse(d.date)));
    assert.equal(d.url, `https://git.acme.test/config/commit/${expected.sha}`);
    assert.deepEqual(d.images, [
      { object: DEPLOYMENT, container: 'users-api', from: `${IMAGE}:1.41.0`, to: `${IMAGE}:1.42.0` },
    ]);
    assert.deepEqual(d.config, []);
    assert.deepEqual([d.added, d.removed, d.otherChanged], [[], [], []]);
  });

  it('finds plain-YAML promotions (billing-worker prod, 2.3.0 → 2.4.0) and reuses one mirror', async () => {
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const d = await findPromotion({ target: target(world.repo, 'billing-worker', 'prod') });
    assert.equal(d.subject, 'promote billing-worker 2.4.0 to prod');
    assert.equal(d.url, undefined);
    assert.deepEqual(d.images, [
      {
        object: 'apps/Deployment/billing-worker-prod/billing-worker',
        container: 'billing-worker',
        from: 'ghcr.io/acme/billing-worker:2.3.0',
        to: 'ghcr.io/acme/billing-worker:2.4.0',
      },
    ]);
    // Both tests read the same remote from one mirror; nothing took (or left) a writable clone or worktree.
    assert.deepEqual(await readdir(path.join(world.cacheDir, 'sources', 'git')), [
      path.basename(new GitSourceCache(path.join(world.cacheDir, 'sources')).get(world.repo.remote).mirrorDir),
    ]);
    assert.equal(existsSync(path.join(world.cacheDir, 'repos')), false);
    assert.equal(existsSync(path.join(world.cacheDir, 'worktrees')), false);
  });

  it('describes a requested config-only commit (--commit) with its ConfigMap change', async () => {
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const sha = (
      await world.bare.raw(['log', '--format=%H', '--fixed-strings', '--grep=debug logging while chasing', 'main'])
    ).trim();
    const d = await findPromotion({ target: target(world.repo, 'users-api', 'prod'), commit: sha.slice(0, 10) });
    assert.equal(d.sha, sha);
    assert.deepEqual(d.images, []);
    assert.deepEqual(d.config, [{ object: CONFIGMAP, key: 'LOG_LEVEL', from: 'info', to: 'debug' }]);
  });

  it('refuses a bad --commit with BadInput, naming what is wrong', async () => {
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const prod = target(world.repo, 'users-api', 'prod');
    const head = await world.repo.head();
    await assert.rejects(
      findPromotion({ target: prod, commit: 'HEAD~1' }),
      failsWith(FailureType.BadInput, /not a commit sha/),
    );
    await assert.rejects(
      findPromotion({ target: prod, commit: '--upload-pack=evil' }),
      failsWith(FailureType.BadInput, /not a commit sha/),
    );
    await assert.rejects(
      findPromotion({ target: prod, commit: 'deadbeefdeadbeef' }),
      failsWith(FailureType.BadInput, /does not exist/),
    );
    const billing = world.repo.promotions.find((p) => p.app === 'billing-worker');
    const staging = world.repo.promotions.find((p) => p.app === 'users-api' && p.env === 'staging');
    assert.ok(billing && staging);
    await assert.rejects(
      findPromotion({ target: prod, commit: billing.sha }),
      failsWith(FailureType.BadInput, /does not touch users-api\/prod .*apps\/users-api\/base/),
    );
    await assert.rejects(
      findPromotion({ target: prod, commit: staging.sha }),
      failsWith(FailureType.BadInput, /does not touch/),
    );
    const root = (await world.bare.raw(['rev-list', '--max-parents=0', 'main'])).trim();
    await assert.rejects(
      findPromotion({ target: prod, commit: root }),
      failsWith(FailureType.BadInput, /first commit/),
    );
    await assert.rejects(
      findPromotion({ target: { ...prod, path: '../outside' } }),
      failsWith(FailureType.BadInput, /inside it/),
    );
    await assert.rejects(
      findPromotion({ target: { ...prod, path: 'apps/users-api/overlays/qa' } }),
      failsWith(FailureType.BadInput, /not a directory/),
    );
    await assert.rejects(
      findPromotion({ target: { ...prod, repo: { ...prod.repo, branch: 'nope' } } }),
      failsWith(FailureType.BadInput, /branch "nope" does not exist/),
    );
    assert.equal(await world.repo.head(), head);
  });
});

describe('findPromotion after further commits', () => {
  let world: GitWorld;
  before(async () => {
    world = await gitWorld();
  });
  after(async () => {
    await world.dispose();
  });

  it('describes a promotion that also changed a ConfigMap value with both layers', async () => {
    const prodDir = 'apps/users-api/overlays/prod';
    const kustomization = (await world.repo.show(`${prodDir}/kustomization.yaml`)).replace(
      'newTag: 1.42.0',
      'newTag: 1.43.0',
    );
    const patch = (await world.repo.show(`${prodDir}/configmap-patch.yaml`)).replace(
      'DB_HOST: db-prod.internal',
      'DB_HOST: db-prod-2.internal',
    );
    const sha = await world.repo.commit(
      { [`${prodDir}/kustomization.yaml`]: kustomization, [`${prodDir}/configmap-patch.yaml`]: patch },
      'promote users-api 1.43.0 to prod, on the new primary',
    );
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const d = await findPromotion({ target: target(world.repo, 'users-api', 'prod') });
    assert.equal(d.sha, sha);
    assert.deepEqual(d.images, [
      { object: DEPLOYMENT, container: 'users-api', from: `${IMAGE}:1.42.0`, to: `${IMAGE}:1.43.0` },
    ]);
    assert.deepEqual(d.config, [
      { object: CONFIGMAP, key: 'DB_HOST', from: 'db-prod.internal', to: 'db-prod-2.internal' },
    ]);
    assert.deepEqual(d.otherChanged, []);
  });

  it('finds an image change made in the base, skipping newer config-only base commits and other envs', async () => {
    const base = 'apps/users-api/base/deployment.yaml';
    const moved = (await world.repo.show(base)).replace(
      `image: ${IMAGE}:1.40.0`,
      'image: registry.acme.test/users-api:1.40.0',
    );
    const sha = await world.repo.commit({ [base]: moved }, 'users-api: pull from the new registry', {
      name: 'Lee Dev',
      email: 'lee@acme.test',
    });
    const cm = 'apps/users-api/base/configmap.yaml';
    await world.repo.commit(
      { [cm]: (await world.repo.show(cm)).replace('LOG_LEVEL: info', 'LOG_LEVEL: warn') },
      'users-api: quieter logs',
    );
    const staging = await world.repo.promote('users-api', 'staging', '1.44.0');

    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const d = await findPromotion({ target: target(world.repo, 'users-api', 'prod') });
    assert.equal(d.sha, sha);
    assert.equal(d.author, 'Lee Dev <lee@acme.test>');
    assert.deepEqual(d.images, [
      {
        object: DEPLOYMENT,
        container: 'users-api',
        from: `${IMAGE}:1.43.0`,
        to: 'registry.acme.test/users-api:1.40.0',
      },
    ]);
    // The newer staging bump edits the overlay's `images: ghcr.io/acme/users-api` entry, which no longer
    // matches the moved image, so it renders to nothing new: staging's newest image change is the move too.
    assert.equal((await world.bare.raw(['log', '-1', '--format=%H', 'main'])).trim(), staging.sha);
    assert.equal((await findPromotion({ target: target(world.repo, 'users-api', 'staging') })).sha, sha);
  });

  it('says which paths it searched and how to pick a commit when no commit changed an image', async () => {
    const qa = 'apps/users-api/overlays/qa';
    const prod = await world.repo.show('apps/users-api/overlays/prod/kustomization.yaml');
    await world.repo.commit(
      {
        [`${qa}/kustomization.yaml`]: prod
          .replace('users-api in prod', 'users-api in qa')
          .replace('namespace: users-api-prod', 'namespace: users-api-qa')
          .replace('configmap-patch.yaml', 'qa-patch.yaml'),
        [`${qa}/qa-patch.yaml`]: (await world.repo.show('apps/users-api/overlays/prod/configmap-patch.yaml')).replace(
          'db-prod',
          'db-qa',
        ),
      },
      'add users-api qa overlay',
    );
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    await assert.rejects(
      findPromotion({ target: { ...target(world.repo, 'users-api', 'prod'), env: 'qa', path: qa } }),
      failsWith(
        FailureType.NoPromotion,
        /users-api\/qa.*apps\/users-api\/base, apps\/users-api\/overlays\/qa.*rewind rollback … --to <sha>/s,
      ),
    );
  });
});

describe('findPromotion: what a revert cannot undo', () => {
  let world: GitWorld;
  before(async () => {
    world = await gitWorld();
  });
  after(async () => {
    await world.dispose();
  });

  it('names the migration Job a promotion added and the rollback contract its commit declares', async () => {
    const dir = 'apps/billing-worker/prod';
    const deployment = (await world.repo.show(`${dir}/deployment.yaml`)).replace(
      'ghcr.io/acme/billing-worker:2.4.0',
      'ghcr.io/acme/billing-worker:2.5.0',
    );
    const migration = [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  name: billing-worker-migrate-2-5',
      '  namespace: billing-worker-prod',
      'spec:',
      '  template:',
      '    spec:',
      '      restartPolicy: Never',
      '      containers:',
      '        - name: migrate',
      '          image: ghcr.io/acme/billing-worker:2.5.0',
      '          command: ["/app/billing-worker", "db", "migrate", "--to", "2026_12_ledger_split"]',
      '',
    ].join('\n');
    const sha = await world.repo.commit(
      { [`${dir}/deployment.yaml`]: deployment, [`${dir}/migrate-job.yaml`]: migration },
      'promote billing-worker 2.5.0 to prod\n\nSplits the ledger table; ' +
        'the old schema is dropped.\n\nRollback-Contract: impossible',
    );
    const { findPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const d = await findPromotion({ target: target(world.repo, 'billing-worker', 'prod') });
    assert.equal(d.sha, sha);
    assert.equal(d.subject, 'promote billing-worker 2.5.0 to prod');
    assert.deepEqual(d.rollbackContract, { contract: 'impossible', from: 'the commit trailer Rollback-Contract' });
    assert.deepEqual(d.migrations, [
      {
        object: 'batch/Job/billing-worker-prod/billing-worker-migrate-2-5',
        why:
          'job/billing-worker-migrate-2-5 looks like a migration by its ' +
          'name billing-worker-migrate-2-5, and the promotion added it',
      },
    ]);
    // The seeded promotions declare nothing and migrate nothing.
    const older = await findPromotion({ target: target(world.repo, 'users-api', 'prod') });
    assert.deepEqual([older.rollbackContract, older.migrations], [undefined, undefined]);
  });
});
