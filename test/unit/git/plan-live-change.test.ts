import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { planLiveChangeIn } from '../../../src/lib/git/plan-live-change.js';
import { renderManifests, type KubeObject } from '../../../src/lib/gitops/render.js';
import { seedConfigRepo, type ConfigRepo } from '../../../src/sandbox/world/config-repo.js';
import { FailureType, type LiveChange } from '../../../workflows/types.js';

const APP = 'apps/users-api';
const PROD = `${APP}/overlays/prod`;
const DEV = `${APP}/overlays/dev`;
const STAGING = `${APP}/overlays/staging`;
const opts = { defaultNamespace: 'users-api-prod' };

const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'users-api-prod', name: 'users-api-env' };
const dep = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'users-api-prod', name: 'users-api' };
const data = (d: Record<string, string>, over: Partial<LiveChange> = {}): LiveChange => ({
  object: cm,
  patchType: 'merge',
  patch: { data: d },
  ...over,
});
const envVar = (name: string, value: string, over: Partial<LiveChange> = {}): LiveChange => ({
  object: dep,
  patchType: 'strategic',
  patch: { spec: { template: { spec: { containers: [{ name: 'users-api', env: [{ name, value }] }] } } } },
  ...over,
});

const badInput = (message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApplicationFailure, String(err));
  assert.equal(err.type, FailureType.BadInput);
  assert.equal(err.nonRetryable, true);
  assert.match(err.message, message);
  return true;
};

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const find = (objs: KubeObject[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is rendered`);
  return o as Obj;
};

describe('planLiveChangeIn: a change for one environment renders the same in every other', () => {
  let root: string;
  let repo: ConfigRepo;
  let n = 0;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'rewind-plan-'));
    repo = await seedConfigRepo(path.join(root, 'world'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A fresh checkout of the seeded branch: planLiveChangeIn writes its edits into it. */
  const checkout = (): string => {
    const dir = path.join(root, `co-${++n}`);
    execFileSync('git', ['clone', '--quiet', repo.remote, dir]);
    return dir;
  };
  const text = (dir: string, file: string) => readFile(path.join(dir, file), 'utf8');
  const renders = async (dir: string, envPath: string) => JSON.stringify(await renderManifests(dir, envPath));
  const status = (dir: string) =>
    execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .sort();

  it(
    'a container env var only the base sets: a new strategic ' +
      "patch in prod's overlay; dev and staging render as before",
    async () => {
      const pristine = checkout(),
        dir = checkout();
      const overlay = await text(dir, `${PROD}/kustomization.yaml`);
      const plan = await planLiveChangeIn(dir, PROD, [envVar('LOG_LEVEL', 'debug')], undefined, opts);
      const patch = `${PROD}/deployment-users-api-patch.yaml`;
      assert.equal(plan.rendersLive, true);
      assert.deepEqual(plan.files, [patch, `${PROD}/kustomization.yaml`]);
      assert.deepEqual(plan.otherEnvs, { checked: [DEV, STAGING], changed: [] });
      assert.deepEqual(status(dir), [` M ${PROD}/kustomization.yaml`, `?? ${patch}`]);
      // The overlay: every byte as it was, plus the one patches: entry.
      assert.equal(
        await text(dir, `${PROD}/kustomization.yaml`),
        `${overlay}  - path: deployment-users-api-patch.yaml\n`,
      );
      assert.equal(
        await text(dir, patch),
        [
          '# Deployment users-api in apps/users-api/overlays/prod ' +
            'only; the base it patches is shared with other environments',
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata:',
          '  name: users-api',
          'spec:',
          '  template:',
          '    spec:',
          '      containers:',
          '        - name: users-api',
          '          env:',
          '            - name: LOG_LEVEL',
          '              value: debug',
          '',
        ].join('\n'),
      );
      // Strategic merge by name: the container keeps everything else the base gives it.
      const before = find(await renderManifests(pristine, PROD), 'Deployment', 'users-api').spec.template.spec
        .containers[0];
      const container = find(await renderManifests(dir, PROD), 'Deployment', 'users-api').spec.template.spec
        .containers[0];
      assert.deepEqual(container, { ...before, env: [{ name: 'LOG_LEVEL', value: 'debug' }] });
      for (const env of [DEV, STAGING]) assert.equal(await renders(dir, env), await renders(pristine, env), env);
    },
  );

  it(
    "a ConfigMap key only the base sets: added to prod's own patch " +
      'for the ConfigMap, comment kept; dev and staging as before',
    async () => {
      const pristine = checkout(),
        dir = checkout();
      const file = `${PROD}/configmap-patch.yaml`;
      const before = await text(dir, file);
      const plan = await planLiveChangeIn(dir, PROD, [data({ LOG_LEVEL: 'debug' })], undefined, opts);
      assert.deepEqual(plan.files, [file]);
      assert.deepEqual(plan.otherEnvs, { checked: [DEV, STAGING], changed: [] });
      assert.equal(await text(dir, file), `${before}  LOG_LEVEL: debug\n`);
      assert.match(before, /^# prod database primary/);
      assert.equal(find(await renderManifests(dir, PROD), 'ConfigMap', 'users-api-env').data.LOG_LEVEL, 'debug');
      for (const env of [DEV, STAGING]) assert.equal(await renders(dir, env), await renders(pristine, env), env);
    },
  );

  it('a field the overlay already patches is edited in place, one line', async () => {
    const dir = checkout();
    const file = `${PROD}/configmap-patch.yaml`;
    const before = await text(dir, file);
    const plan = await planLiveChangeIn(dir, PROD, [data({ DB_HOST: 'db-prod-2.internal' })], undefined, opts);
    assert.deepEqual(plan.files, [file]);
    assert.equal(plan.edits.length, 1);
    assert.equal(await text(dir, file), before.replace('db-prod.internal', 'db-prod-2.internal'));
    assert.deepEqual(plan.otherEnvs.changed, []);
  });

  it('--git-base: the base is edited and dev and staging are listed as changing', async () => {
    const dir = checkout();
    const base = `${APP}/base/deployment.yaml`;
    const before = await text(dir, base);
    const plan = await planLiveChangeIn(
      dir,
      PROD,
      [envVar('LOG_LEVEL', 'debug', { gitScope: 'base' })],
      undefined,
      opts,
    );
    assert.deepEqual(plan.files, [base]);
    assert.deepEqual(plan.otherEnvs, { checked: [DEV, STAGING], changed: [DEV, STAGING] });
    assert.equal(
      await text(dir, base),
      `${before}          env:\n            - name: LOG_LEVEL\n              value: debug\n`,
    );
    for (const env of [DEV, STAGING])
      assert.deepEqual(
        find(await renderManifests(dir, env), 'Deployment', 'users-api').spec.template.spec.containers[0].env,
        [{ name: 'LOG_LEVEL', value: 'debug' }],
      );
  });

  it(
    'an explicit --git-file in the shared base without ' +
      '--git-base is refused, naming the environments and both fixes',
    async () => {
      const change = data({ LOG_LEVEL: 'warn' }, { gitFile: `${APP}/base/configmap.yaml`, gitPath: 'data.LOG_LEVEL' });
      await assert.rejects(
        planLiveChangeIn(checkout(), PROD, [change], undefined, opts),
        badInput(
          /the Git edits for apps\/users-api\/overlays\/prod would also change what dev, staging render \(apps\/users-api\/overlays\/dev, apps\/users-api\/overlays\/staging\), through apps\/users-api\/base\/configmap\.yaml; nothing was changed\. .*--git-file <path> --git-path <yaml\.path>.*say so with --git-base/,
        ),
      );
      const plan = await planLiveChangeIn(checkout(), PROD, [{ ...change, gitScope: 'base' }], undefined, opts);
      assert.deepEqual(plan.otherEnvs.changed, [DEV, STAGING]);
    },
  );

  it('renders every environment that pulls the overlay in, and refuses when one of them would change', async () => {
    const dir = checkout();
    await mkdir(path.join(dir, `${APP}/overlays/prod-eu`));
    await writeFile(
      path.join(dir, `${APP}/overlays/prod-eu/kustomization.yaml`),
      'resources:\n  - ../prod\nnameSuffix: -eu\n',
    );
    await assert.rejects(
      planLiveChangeIn(dir, PROD, [data({ DB_HOST: 'db-prod-2.internal' })], undefined, opts),
      badInput(
        /would also change what prod-eu renders \(apps\/users-api\/overlays\/prod-eu\), through apps\/users-api\/overlays\/prod\/configmap-patch\.yaml/,
      ),
    );
  });

  it('a Flux plain-manifest directory: the resource file, with no other environment to render', async () => {
    const dir = checkout();
    const billing = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'billing-worker-prod',
      name: 'billing-worker-env',
    };
    const plan = await planLiveChangeIn(
      dir,
      'apps/billing-worker/prod',
      [{ object: billing, patchType: 'merge', patch: { data: { QUEUE_URL: 'amqp://mq-prod-b.internal' } } }],
      undefined,
      { defaultNamespace: 'billing-worker-prod' },
    );
    assert.deepEqual(plan.files, ['apps/billing-worker/prod/configmap.yaml']);
    assert.deepEqual(plan.otherEnvs, { checked: [], changed: [] });
    assert.equal(plan.rendersLive, true);
  });
});

describe('planLiveChangeIn on a layout with namePrefix and an intermediate shared layer', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-plan-shop-'));
    const files: Record<string, string> = {
      'shop/base/kustomization.yaml': 'resources:\n- cm.yaml\n',
      'shop/base/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-env\n' +
        'data:\n  LOG_LEVEL: info # debug only while investigating\n',
      'shop/common/kustomization.yaml': 'resources:\n- ../base\n',
      'shop/dev/kustomization.yaml': 'resources:\n- ../common\nnamespace: shop-dev\n',
      'shop/prod/kustomization.yaml':
        '# prod: only what differs\nresources:\n- ../common\nnamespace: shop-prod\nnamePrefix: prod-\n',
    };
    for (const [rel, t] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), t);
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'the new patch names the object as the base does and ' + 'reaches it through the prefix; dev renders as before',
    async () => {
      const devBefore = JSON.stringify(await renderManifests(dir, 'shop/dev'));
      const change: LiveChange = {
        object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop-prod', name: 'prod-app-env' },
        patchType: 'merge',
        patch: { data: { LOG_LEVEL: 'debug' } },
      };
      const plan = await planLiveChangeIn(dir, 'shop/prod', [change], undefined, { defaultNamespace: 'shop-prod' });
      assert.equal(plan.rendersLive, true);
      assert.deepEqual(plan.files, ['shop/prod/configmap-app-env-patch.yaml', 'shop/prod/kustomization.yaml']);
      assert.deepEqual(plan.otherEnvs, { checked: ['shop/dev'], changed: [] });
      assert.equal(find(await renderManifests(dir, 'shop/prod'), 'ConfigMap', 'prod-app-env').data.LOG_LEVEL, 'debug');
      assert.equal(JSON.stringify(await renderManifests(dir, 'shop/dev')), devBefore);
      assert.equal(
        await readFile(path.join(dir, 'shop/base/cm.yaml'), 'utf8'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-env\n' +
          'data:\n  LOG_LEVEL: info # debug only while investigating\n',
      );
    },
  );
});
