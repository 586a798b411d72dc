import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { simpleGit } from 'simple-git';
import {
  createGitActivities,
  type CommitLiveChangeInput,
  type CommitLiveChangeResult,
} from '../../../activities/git/index.js';
import { clonePath } from '../../../src/lib/git/cached-clone.js';
import { renderManifests, type KubeObject } from '../../../src/lib/gitops/render.js';
import { FailureType, type LiveChange } from '../../../workflows/types.js';
import { alice, gitWorld, otherClone, remoteLog, target, type GitWorld, failsWith } from './fixtures.js';

const PROD = 'apps/users-api/overlays/prod';
const PATCH_FILE = `${PROD}/configmap-patch.yaml`;
const OVERLAY = `${PROD}/kustomization.yaml`;
const BASE_DEPLOYMENT = 'apps/users-api/base/deployment.yaml';
const BASE_CONFIGMAP = 'apps/users-api/base/configmap.yaml';
const BILLING_CM = 'apps/billing-worker/prod/configmap.yaml';
const DEV = 'apps/users-api/overlays/dev';
const STAGING = 'apps/users-api/overlays/staging';
const DEPLOYMENT_PATCH = `${PROD}/deployment-users-api-patch.yaml`;

const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'users-api-prod', name: 'users-api-env' };
const depRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'users-api-prod', name: 'users-api' };
const dbHost: LiveChange = { object: cmRef, patchType: 'merge', patch: { data: { DB_HOST: 'db-prod-2.internal' } } };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the remote's branch renders for an env path, from a fresh clone. */
async function renderRemote(world: GitWorld, envPath: string): Promise<KubeObject[]> {
  const dir = await mkdtemp(path.join(world.root, 'render-'));
  await simpleGit().clone(world.repo.remote, dir);
  return renderManifests(dir, envPath);
}

const find = (objs: KubeObject[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is rendered`);
  return o as Obj;
};

/**
 * The live object after a change, as the API server's dry run would return it: what Git rendered
 * (Argo applied it), changed by hand here, plus server fields the comparison must ignore.
 */
async function liveAfter(
  world: GitWorld,
  envPath: string,
  kind: string,
  name: string,
  edit: (o: Obj) => void,
): Promise<KubeObject> {
  const o = structuredClone(find(await renderRemote(world, envPath), kind, name));
  o.metadata.resourceVersion = '4242';
  o.metadata.managedFields = [{ manager: 'rewind', operation: 'Update' }];
  edit(o);
  return o as KubeObject;
}

const trailers = async (world: GitWorld, rev = 'main') => {
  const t = async (key: string) =>
    (await world.bare.raw(['log', '-1', `--format=%(trailers:key=${key},valueonly)`, rev])).trim();
  return {
    run: await t('Rewind-Run'),
    by: await t('Rewind-Requested-By'),
    incident: await t('Rewind-Incident'),
    change: await t('Rewind-Change'),
  };
};

const changedOnMain = async (world: GitWorld, rev = 'main') =>
  (await world.bare.raw(['diff-tree', '--no-commit-id', '--name-only', '-r', rev])).trim().split('\n').filter(Boolean);

describe('planGitEdits and commitLiveChange on the seeded repo', () => {
  let world: GitWorld;
  beforeEach(async () => {
    world = await gitWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  const request = (
    changes: LiveChange[],
    after: KubeObject[] | undefined,
    over: Partial<CommitLiveChangeInput> = {},
  ): CommitLiveChangeInput => ({
    target: target(world.repo, 'users-api', 'prod'),
    changes,
    ...(after ? { liveAfter: after } : {}),
    requester: alice,
    reason: 'primary db-prod failed over to db-prod-2',
    incidentId: 'INC-7',
    runId: 'run-1',
    ...over,
  });

  it(
    'DB_HOST in prod: plans and commits one line in the ' + 'overlay patch, comments intact, rendered and attributed',
    async () => {
      const before = await world.repo.show(PATCH_FILE);
      const head = await world.repo.head();
      const after = [
        await liveAfter(world, PROD, 'ConfigMap', 'users-api-env', (o) => {
          o.data.DB_HOST = 'db-prod-2.internal';
        }),
      ];
      const { planGitEdits, commitLiveChange } = createGitActivities({
        cacheDir: world.cacheDir,
        committer: { name: 'rewind-bot', email: 'bot@acme.test' },
      });

      const plan = await planGitEdits({ target: request([dbHost], after).target, changes: [dbHost], liveAfter: after });
      assert.equal(plan.base, head);
      assert.equal(plan.rendersLive, true);
      assert.deepEqual(plan.remaining, []);
      assert.equal(plan.edits.length, 1);
      assert.deepEqual(
        { ...plan.edits[0], why: undefined },
        {
          file: PATCH_FILE,
          docIndex: 0,
          yamlPath: ['data', 'DB_HOST'],
          value: 'db-prod-2.internal',
          before: 'db-prod.internal',
          why: undefined,
        },
      );
      assert.match(plan.edits[0]?.why ?? '', /patch that sets data\.DB_HOST/);
      assert.match(plan.diff, /^- {2}DB_HOST: db-prod\.internal$/m);
      assert.match(plan.diff, /^\+ {2}DB_HOST: db-prod-2\.internal$/m);
      assert.equal(await world.repo.head(), head, 'planning pushes nothing');

      const res = await commitLiveChange(request([dbHost], after));
      assert.deepEqual(res, { sha: res.sha, reused: false, attempts: 1, files: [PATCH_FILE] });
      assert.equal(await world.repo.head(), res.sha);
      assert.equal((await world.bare.raw(['rev-parse', 'main^'])).trim(), head);
      assert.deepEqual(await changedOnMain(world), [PATCH_FILE]);
      // Byte for byte, except the one value: the file's comment and layout survive.
      assert.equal(
        await world.repo.show(PATCH_FILE),
        before.replace('DB_HOST: db-prod.internal', 'DB_HOST: db-prod-2.internal'),
      );
      assert.match(before, /^# prod database primary; failover means changing this line/);
      assert.equal(
        find(await renderRemote(world, PROD), 'ConfigMap', 'users-api-env').data.DB_HOST,
        'db-prod-2.internal',
      );
      // Other environments still render their own primary.
      assert.equal(
        find(await renderRemote(world, 'apps/users-api/overlays/staging'), 'ConfigMap', 'users-api-env').data.DB_HOST,
        'db-staging.internal',
      );

      const [commit] = await remoteLog(world, 1);
      assert.equal(commit?.author, 'Alice Ops <alice@acme.test>');
      assert.equal(commit?.committer, 'rewind-bot <bot@acme.test>');
      assert.equal(commit?.subject, 'emergency: ConfigMap/users-api-env data.DB_HOST=db-prod-2.internal');
      assert.match(commit?.body ?? '', /\n\nprimary db-prod failed over to db-prod-2\n\n/);
      assert.match(commit?.body ?? '', new RegExp(`- ${PATCH_FILE}: data\\.DB_HOST = db-prod-2\\.internal`));
      assert.deepEqual(await trailers(world), { run: 'run-1', by: 'alice', incident: 'INC-7', change: 'live-first' });
    },
  );

  it('a new image in prod goes to the overlay images: newTag, the way promotions do', async () => {
    const image = 'ghcr.io/acme/users-api:1.42.1';
    const change: LiveChange = {
      object: depRef,
      patchType: 'strategic',
      patch: { spec: { template: { spec: { containers: [{ name: 'users-api', image }] } } } },
    };
    const after = [
      await liveAfter(world, PROD, 'Deployment', 'users-api', (o) => {
        o.spec.template.spec.containers[0].image = image;
      }),
    ];
    const overlay = await world.repo.show(OVERLAY);
    const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
    const plan = await planGitEdits({
      target: target(world.repo, 'users-api', 'prod'),
      changes: [change],
      liveAfter: after,
    });
    assert.equal(plan.rendersLive, true);
    assert.deepEqual(
      plan.edits.map((e) => [e.file, e.yamlPath.join('.'), e.value, e.before]),
      [[OVERLAY, 'images.0.newTag', '1.42.1', '1.42.0']],
    );
    const res = await commitLiveChange(request([change], after));
    assert.deepEqual(res.files, [OVERLAY]);
    assert.equal(await world.repo.show(OVERLAY), overlay.replace('newTag: 1.42.0', 'newTag: 1.42.1'));
    assert.equal(
      find(await renderRemote(world, PROD), 'Deployment', 'users-api').spec.template.spec.containers[0].image,
      image,
    );
    assert.equal(
      (await remoteLog(world, 1))[0]?.subject,
      `emergency: Deployment/users-api containers[users-api].image=${image}`,
    );
  });

  it(
    "a new env var on the container goes into a new patch in prod's overlay, " +
      'quoted so YAML 1.1 readers keep "on" a string; dev and staging render as before',
    async () => {
      const change: LiveChange = {
        object: depRef,
        patchType: 'strategic',
        patch: {
          spec: {
            template: { spec: { containers: [{ name: 'users-api', env: [{ name: 'FEATURE_X', value: 'on' }] }] } },
          },
        },
      };
      const after = [
        await liveAfter(world, PROD, 'Deployment', 'users-api', (o) => {
          o.spec.template.spec.containers[0].env = [{ name: 'FEATURE_X', value: 'on' }];
        }),
      ];
      const overlay = await world.repo.show(OVERLAY);
      const others = { dev: await renderRemote(world, DEV), staging: await renderRemote(world, STAGING) };
      const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      const plan = await planGitEdits({
        target: target(world.repo, 'users-api', 'prod'),
        changes: [change],
        liveAfter: after,
      });
      assert.equal(plan.rendersLive, true);
      assert.deepEqual(plan.otherEnvs, { checked: [DEV, STAGING], changed: [] });
      assert.deepEqual(
        plan.edits.map((e) => [e.file, e.yamlPath.join('.'), e.newFile ? 'NEW' : e.value]),
        [
          [DEPLOYMENT_PATCH, '', 'NEW'],
          [OVERLAY, 'patches.1.path', 'deployment-users-api-patch.yaml'],
          [DEPLOYMENT_PATCH, 'spec.template.spec.containers.0.name', 'users-api'],
          [DEPLOYMENT_PATCH, 'spec.template.spec.containers.0.env.0.name', 'FEATURE_X'],
          [DEPLOYMENT_PATCH, 'spec.template.spec.containers.0.env.0.value', 'on'],
        ],
      );
      // The new file shows in the plan's diff too.
      assert.match(plan.diff, /new file mode[\s\S]*\+ {14}value: "on"/);
      assert.match(plan.diff, /^\+ {2}- path: deployment-users-api-patch\.yaml$/m);
      const res = await commitLiveChange(request([change], after));
      assert.deepEqual(res.files, [DEPLOYMENT_PATCH, OVERLAY]);
      assert.equal(await world.repo.show(OVERLAY), `${overlay}  - path: deployment-users-api-patch.yaml\n`);
      assert.match(
        await world.repo.show(DEPLOYMENT_PATCH),
        /^# Deployment users-api in apps\/users-api\/overlays\/prod only;.*\napiVersion: apps\/v1\nkind: Deployment\nmetadata:\n {2}name: users-api\n[\s\S]* {12}- name: FEATURE_X\n {14}value: "on"\n$/,
      );
      assert.match((await remoteLog(world, 1))[0]?.body ?? '', new RegExp(`- ${DEPLOYMENT_PATCH}: new file\n`));
      const container = find(await renderRemote(world, PROD), 'Deployment', 'users-api').spec.template.spec
        .containers[0];
      assert.deepEqual(container.env, [{ name: 'FEATURE_X', value: 'on' }]);
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'users-api-env' } }]);
      assert.deepEqual(await renderRemote(world, DEV), others.dev);
      assert.deepEqual(await renderRemote(world, STAGING), others.staging);
    },
  );

  it(
    '--git-base: the base deployment is edited where it ' + 'renders, and the plan lists dev and staging as changing',
    async () => {
      const change: LiveChange = {
        object: depRef,
        patchType: 'strategic',
        patch: {
          spec: {
            template: { spec: { containers: [{ name: 'users-api', env: [{ name: 'LOG_LEVEL', value: 'debug' }] }] } },
          },
        },
        gitScope: 'base',
      };
      const after = [
        await liveAfter(world, PROD, 'Deployment', 'users-api', (o) => {
          o.spec.template.spec.containers[0].env = [{ name: 'LOG_LEVEL', value: 'debug' }];
        }),
      ];
      const base = await world.repo.show(BASE_DEPLOYMENT);
      const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      const plan = await planGitEdits({
        target: target(world.repo, 'users-api', 'prod'),
        changes: [change],
        liveAfter: after,
      });
      assert.equal(plan.rendersLive, true);
      assert.deepEqual(plan.otherEnvs, { checked: [DEV, STAGING], changed: [DEV, STAGING] });
      assert.match(
        plan.edits[1]?.why ?? '',
        /also rendered by apps\/users-api\/overlays\/dev, apps\/users-api\/overlays\/staging, which get this change too/,
      );
      const res = await commitLiveChange(request([change], after));
      assert.deepEqual(res.files, [BASE_DEPLOYMENT]);
      assert.equal(
        await world.repo.show(BASE_DEPLOYMENT),
        `${base}          env:\n            - name: LOG_LEVEL\n              value: debug\n`,
      );
      for (const env of [PROD, DEV, STAGING]) {
        assert.deepEqual(
          find(await renderRemote(world, env), 'Deployment', 'users-api').spec.template.spec.containers[0].env,
          [{ name: 'LOG_LEVEL', value: 'debug' }],
          env,
        );
      }
    },
  );

  it(
    'a new overlay patch is made once per run: the same runId again ' +
      'returns the first commit, and a second field extends the patch',
    async () => {
      const change = (name: string): LiveChange => ({
        object: depRef,
        patchType: 'strategic',
        patch: {
          spec: { template: { spec: { containers: [{ name: 'users-api', env: [{ name, value: 'debug' }] }] } } },
        },
      });
      const first = await createGitActivities({ cacheDir: world.cacheDir }).commitLiveChange(
        request([change('LOG_LEVEL')], undefined),
      );
      const again = await createGitActivities({ cacheDir: path.join(world.root, 'cache-2') }).commitLiveChange(
        request([change('LOG_LEVEL')], undefined),
      );
      assert.deepEqual(again, { sha: first.sha, reused: true, attempts: 0, files: [DEPLOYMENT_PATCH, OVERLAY] });
      assert.equal(await world.repo.head(), first.sha);
      // Another run, another field of the same object: prod's patch now exists and is extended, nothing else changes.
      const patch = await world.repo.show(DEPLOYMENT_PATCH);
      const next = await createGitActivities({ cacheDir: world.cacheDir }).commitLiveChange(
        request([change('TRACE')], undefined, { runId: 'run-2' }),
      );
      assert.deepEqual(next.files, [DEPLOYMENT_PATCH]);
      assert.equal(
        await world.repo.show(DEPLOYMENT_PATCH),
        `${patch}            - name: TRACE\n              value: debug\n`,
      );
    },
  );

  it(
    'a plain-YAML (Flux) ConfigMap change edits the ' + 'file that defines it, keeping the comment on the key',
    async () => {
      const change: LiveChange = {
        object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'billing-worker-prod', name: 'billing-worker-env' },
        patchType: 'merge',
        patch: { data: { QUEUE_URL: 'amqp://mq-prod-b.internal' } },
      };
      const env = 'apps/billing-worker/prod';
      const after = [
        await liveAfter(world, env, 'ConfigMap', 'billing-worker-env', (o) => {
          o.data.QUEUE_URL = 'amqp://mq-prod-b.internal';
        }),
      ];
      const before = await world.repo.show(BILLING_CM);
      const t = target(world.repo, 'billing-worker', 'prod');
      const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      const plan = await planGitEdits({ target: t, changes: [change], liveAfter: after });
      assert.equal(plan.rendersLive, true);
      assert.match(plan.edits[0]?.why ?? '', /plain manifests/);
      const res = await commitLiveChange({ ...request([change], after), target: t });
      assert.deepEqual(res.files, [BILLING_CM]);
      assert.equal(
        await world.repo.show(BILLING_CM),
        before.replace('amqp://mq-prod.internal', 'amqp://mq-prod-b.internal'),
      );
      assert.match(before, /# the worker drains this queue/);
      assert.equal(
        find(await renderRemote(world, env), 'ConfigMap', 'billing-worker-env').data.QUEUE_URL,
        'amqp://mq-prod-b.internal',
      );
    },
  );

  it(
    'honours an explicit --git-file/--git-path instead ' + 'of the search; in a shared base only with --git-base',
    async () => {
      // The search would put LOG_LEVEL in prod's patch; the requester names the base on purpose.
      const named: LiveChange = {
        ...dbHost,
        patch: { data: { LOG_LEVEL: 'warn' } },
        gitFile: BASE_CONFIGMAP,
        gitPath: 'data.LOG_LEVEL',
      };
      const after = [
        await liveAfter(world, PROD, 'ConfigMap', 'users-api-env', (o) => {
          o.data.LOG_LEVEL = 'warn';
        }),
      ];
      const base = await world.repo.show(BASE_CONFIGMAP);
      const head = await world.repo.head();
      const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      const refused = failsWith(
        FailureType.BadInput,
        /would also change what dev, staging render .*through apps\/users-api\/base\/configmap\.yaml; nothing was changed\..*--git-base/,
      );
      await assert.rejects(
        planGitEdits({ target: target(world.repo, 'users-api', 'prod'), changes: [named], liveAfter: after }),
        refused,
      );
      await assert.rejects(commitLiveChange(request([named], after)), refused);
      assert.equal(await world.repo.head(), head);
      const change: LiveChange = { ...named, gitScope: 'base' };
      const plan = await planGitEdits({
        target: target(world.repo, 'users-api', 'prod'),
        changes: [change],
        liveAfter: after,
      });
      assert.deepEqual(plan.otherEnvs.changed, [DEV, STAGING]);
      assert.deepEqual(
        plan.edits.map((e) => [e.file, e.yamlPath.join('.'), e.value, e.before]),
        [[BASE_CONFIGMAP, 'data.LOG_LEVEL', 'warn', 'info']],
      );
      assert.match(plan.edits[0]?.why ?? '', /explicit location/);
      assert.equal(plan.rendersLive, true);
      const res = await commitLiveChange(request([change], after));
      assert.deepEqual(res.files, [BASE_CONFIGMAP]);
      // The inline comment on the value stays.
      assert.equal(await world.repo.show(BASE_CONFIGMAP), base.replace('LOG_LEVEL: info #', 'LOG_LEVEL: warn #'));
      assert.equal(find(await renderRemote(world, PROD), 'ConfigMap', 'users-api-env').data.LOG_LEVEL, 'warn');
    },
  );

  it(
    'planGitEdits reports rendersLive: false with what remains ' +
      'when the explicit place does not render into the object',
    async () => {
      // prod's own patch overrides DB_HOST, so editing the base changes nothing in prod.
      const change: LiveChange = { ...dbHost, gitFile: BASE_CONFIGMAP, gitPath: 'data.DB_HOST' };
      const after = [
        await liveAfter(world, PROD, 'ConfigMap', 'users-api-env', (o) => {
          o.data.DB_HOST = 'db-prod-2.internal';
        }),
      ];
      const head = await world.repo.head();
      const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      const plan = await planGitEdits({
        target: target(world.repo, 'users-api', 'prod'),
        changes: [change],
        liveAfter: after,
      });
      assert.equal(plan.rendersLive, false);
      assert.deepEqual(
        plan.edits.map((e) => e.file),
        [BASE_CONFIGMAP],
      );
      assert.deepEqual(plan.remaining, [
        {
          object: '/ConfigMap/users-api-prod/users-api-env',
          path: '/data/DB_HOST',
          desired: 'db-prod.internal',
          live: 'db-prod-2.internal',
        },
      ]);
      // The commit step refuses it too, and pushes nothing.
      await assert.rejects(
        commitLiveChange(request([change], after)),
        failsWith(
          FailureType.BadInput,
          /would not make Git render the live state: .*\/data\/DB_HOST.*nothing was pushed/,
        ),
      );
      assert.equal(await world.repo.head(), head);
    },
  );

  it(
    'refuses an object Git does not define with BadInput naming ' +
      'the files searched and the flags to use; nothing pushed',
    async () => {
      const ghost: LiveChange = {
        object: { ...cmRef, name: 'users-api-extra' },
        patchType: 'merge',
        patch: { data: { X: '1' } },
      };
      const after = [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'users-api-extra', namespace: 'users-api-prod' },
          data: { X: '1' },
        },
      ];
      const head = await world.repo.head();
      const { planGitEdits, commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      const message =
        /defines ConfigMap users-api-prod\/users-api-extra \(searched .*overlays\/prod\/kustomization\.yaml.*configmap-patch\.yaml.*base\/deployment\.yaml.*\).*--git-file <path> --git-path <yaml\.path>/s;
      await assert.rejects(
        planGitEdits({ target: target(world.repo, 'users-api', 'prod'), changes: [ghost], liveAfter: after }),
        failsWith(FailureType.BadInput, message),
      );
      await assert.rejects(commitLiveChange(request([ghost], after)), failsWith(FailureType.BadInput, message));
      await assert.rejects(commitLiveChange(request([ghost], undefined)), failsWith(FailureType.BadInput, message));
      assert.equal(await world.repo.head(), head);
    },
  );

  it('is idempotent per run: the same runId again (also from a fresh cache) returns the first commit', async () => {
    const first = await createGitActivities({ cacheDir: world.cacheDir }).commitLiveChange(
      request([dbHost], undefined),
    );
    const again = await createGitActivities({ cacheDir: world.cacheDir }).commitLiveChange(
      request([dbHost], undefined),
    );
    const elsewhere = await createGitActivities({ cacheDir: path.join(world.root, 'cache-2') }).commitLiveChange(
      request([dbHost], undefined),
    );
    assert.equal(first.reused, false);
    assert.deepEqual(again, { sha: first.sha, reused: true, attempts: 0, files: [PATCH_FILE] });
    assert.deepEqual(elsewhere, again);
    const runs = (await world.bare.raw(['log', '--format=%(trailers:key=Rewind-Run,valueonly)', 'main']))
      .split('\n')
      .filter((l) => l.trim() === 'run-1');
    assert.equal(runs.length, 1);
    assert.equal(await world.repo.head(), first.sha);
  });

  it('makes no commit when someone already committed the fix by hand', async () => {
    const hand = await world.repo.commit(
      { [PATCH_FILE]: (await world.repo.show(PATCH_FILE)).replace('db-prod.internal', 'db-prod-2.internal') },
      'prod: fail over to db-prod-2',
    );
    const res = await createGitActivities({ cacheDir: world.cacheDir }).commitLiveChange(request([dbHost], undefined));
    assert.deepEqual(res, { sha: hand, reused: true, attempts: 0, files: [] });
    assert.equal(await world.repo.head(), hand);
  });

  it('rebuilds the edit on a commit another clone pushed right before its push, keeping both', async () => {
    const other = await otherClone(world, 'other');
    const otherDir = (await other.revparse(['--show-toplevel'])).trim();
    let foreign = '';
    const { commitLiveChange } = createGitActivities({
      cacheDir: world.cacheDir,
      liveChange: {
        backoffMs: 10,
        beforePush: async ({ attempt }) => {
          if (attempt !== 1) return;
          // Someone edits the very file we edit: a new key right after DB_HOST.
          const file = path.join(otherDir, PATCH_FILE);
          await writeFile(file, `${await world.repo.show(PATCH_FILE)}  POOL_SIZE: "20"\n`);
          await other.add(['--', PATCH_FILE]);
          await other.commit('prod: bigger DB pool');
          await other.push('origin', 'HEAD:main');
          foreign = (await other.revparse(['HEAD'])).trim();
        },
      },
    });
    const res = await commitLiveChange(request([dbHost], undefined));
    assert.equal(res.attempts, 2);
    assert.equal(res.reused, false);
    const [mine, theirs] = await remoteLog(world, 2);
    assert.equal(mine?.sha, res.sha);
    assert.equal(theirs?.sha, foreign);
    assert.match(await world.repo.show(PATCH_FILE), /DB_HOST: db-prod-2\.internal\n {2}POOL_SIZE: "20"\n$/);
    const cm = find(await renderRemote(world, PROD), 'ConfigMap', 'users-api-env');
    assert.deepEqual([cm.data.DB_HOST, cm.data.POOL_SIZE], ['db-prod-2.internal', '20']);
    assert.equal((await trailers(world)).run, 'run-1');
  });

  it(
    'a pre-receive hook that refuses the push: non-retryable ' +
      "PushRejected with git's message, nothing pushed, clone clean",
    async () => {
      const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
      await writeFile(
        hook,
        '#!/bin/sh\necho "policy: main only takes reviewed merges (see CONTRIBUTING)" >&2\nexit 1\n',
      );
      await chmod(hook, 0o755);
      const head = await world.repo.head();
      const { commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
      await assert.rejects(
        commitLiveChange(request([dbHost], undefined)),
        failsWith(
          FailureType.PushRejected,
          /refused the push to main; nothing was pushed\. Git said:\n.*policy: main only takes reviewed merges.*pre-receive hook declined/s,
        ),
      );
      assert.equal(await world.repo.head(), head);
      const clone = simpleGit({ baseDir: clonePath(world.cacheDir, world.repo.remote) });
      assert.equal((await clone.raw(['status', '--porcelain'])).trim(), '');
      assert.equal((await clone.raw(['rev-parse', 'HEAD'])).trim(), head);
    },
  );

  it('heartbeats its push attempt when run as an activity', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const base = await world.repo.head();
    const { commitLiveChange } = createGitActivities({ cacheDir: world.cacheDir });
    const res = await env.run<[CommitLiveChangeInput], CommitLiveChangeResult, typeof commitLiveChange>(
      commitLiveChange,
      request([dbHost], undefined),
    );
    assert.equal(res.reused, false);
    assert.deepEqual(beats, [{ step: 'commitLiveChange', attempt: 1, base }]);
  });
});
