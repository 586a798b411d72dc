import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { applyEdits, locateEdits, parseImage } from '../../../src/lib/git/locate-source.js';
import type { KubeObject } from '../../../src/lib/gitops/render.js';
import { seedConfigRepo } from '../../../src/sandbox/world/config-repo.js';
import { FailureType, type GitEdit, type LiveChange } from '../../../workflows/types.js';

const badInput = (message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApplicationFailure, String(err));
  assert.equal(err.type, FailureType.BadInput);
  assert.equal(err.nonRetryable, true);
  assert.match(err.message, message);
  return true;
};

const PROD = 'apps/users-api/overlays/prod';
const ref = (kind: string, namespace: string, name: string, apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1') => ({
  apiVersion,
  kind,
  namespace,
  name,
});
/** A live object holding just what the test needs: locateEdits reads identity and the patched fields. */
const live = (r: ReturnType<typeof ref>, body: Record<string, unknown>): KubeObject => ({
  apiVersion: r.apiVersion,
  kind: r.kind,
  metadata: { name: r.name, namespace: r.namespace },
  ...body,
});
const summary = (edits: GitEdit[]) => edits.map((e) => [e.file, e.yamlPath.join('.'), e.value, e.before]);
const pod = (containers: unknown[]) => ({ spec: { template: { spec: { containers } } } });

describe('locateEdits on the seeded config repo', () => {
  let root: string;
  let dir: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'rewind-locate-'));
    dir = (await seedConfigRepo(root)).workdir;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const cm = ref('ConfigMap', 'users-api-prod', 'users-api-env');
  const dep = ref('Deployment', 'users-api-prod', 'users-api');

  it('puts a value the overlay patch sets into that patch', async () => {
    const change: LiveChange = { object: cm, patchType: 'merge', patch: { data: { DB_HOST: 'db-prod-2.internal' } } };
    const edits = await locateEdits(dir, PROD, change, live(cm, { data: { DB_HOST: 'db-prod-2.internal' } }));
    assert.deepEqual(summary(edits), [
      [`${PROD}/configmap-patch.yaml`, 'data.DB_HOST', 'db-prod-2.internal', 'db-prod.internal'],
    ]);
  });

  it('adds a field only the base sets to the overlay patch for that object: the value is env-specific', async () => {
    const change: LiveChange = { object: cm, patchType: 'merge', patch: { data: { LOG_LEVEL: 'warn' } } };
    const edits = await locateEdits(dir, PROD, change, live(cm, { data: { LOG_LEVEL: 'warn' } }));
    assert.deepEqual(summary(edits), [[`${PROD}/configmap-patch.yaml`, 'data.LOG_LEVEL', 'warn', undefined]]);
    assert.match(edits[0]?.why ?? '', /specific to this environment/);
  });

  it('writes the value live holds (server-normalized), not the patch text', async () => {
    const change: LiveChange = {
      object: dep,
      patchType: 'strategic',
      patch: pod([{ name: 'users-api', resources: { requests: { memory: '1024Mi' } } }]),
      gitScope: 'base',
    };
    const edits = await locateEdits(
      dir,
      PROD,
      change,
      live(dep, pod([{ name: 'users-api', resources: { requests: { memory: '1Gi' } } }])),
    );
    assert.deepEqual(summary(edits), [
      [
        'apps/users-api/base/deployment.yaml',
        'spec.template.spec.containers.0.resources.requests.memory',
        '1Gi',
        '128Mi',
      ],
    ]);
  });

  it('puts a field only the shared base sets into a new patch in the overlay, registered under patches:', async () => {
    const change: LiveChange = {
      object: dep,
      patchType: 'strategic',
      patch: pod([{ name: 'users-api', resources: { requests: { memory: '1Gi' } } }]),
    };
    const edits = await locateEdits(
      dir,
      PROD,
      change,
      live(dep, pod([{ name: 'users-api', resources: { requests: { memory: '1Gi' } } }])),
    );
    const file = `${PROD}/deployment-users-api-patch.yaml`;
    assert.deepEqual(
      edits.map((e) => [e.file, e.yamlPath.join('.'), e.newFile ? 'NEW' : e.value]),
      [
        [file, '', 'NEW'],
        [`${PROD}/kustomization.yaml`, 'patches.1.path', 'deployment-users-api-patch.yaml'],
        [file, 'spec.template.spec.containers.0.name', 'users-api'],
        [file, 'spec.template.spec.containers.0.resources.requests.memory', '1Gi'],
      ],
    );
    assert.equal(
      edits[0]?.value,
      '# Deployment users-api in apps/users-api/overlays/prod only; the base it patches is shared ' +
        'with other environments\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: users-api\n',
    );
    assert.match(
      edits[3]?.why ?? '',
      /resources\.requests\.memory of Deployment\/users-api comes only from apps\/users-api\/base\/deployment\.yaml; apps\/users-api\/overlays\/dev, apps\/users-api\/overlays\/staging render apps\/users-api\/base too, so the value goes into apps\/users-api\/overlays\/prod's own patch/,
    );
  });

  it(
    'sends image changes to the nearest images: entry (newTag; ' +
      'newName when the repository moves) and replicas to replicas:',
    async () => {
      const image = (img: string) => ({
        object: dep,
        patchType: 'strategic' as const,
        patch: pod([{ name: 'users-api', image: img }]),
      });
      const tag = await locateEdits(
        dir,
        PROD,
        image('ghcr.io/acme/users-api:1.43.0'),
        live(dep, pod([{ name: 'users-api', image: 'ghcr.io/acme/users-api:1.43.0' }])),
      );
      assert.deepEqual(summary(tag), [[`${PROD}/kustomization.yaml`, 'images.0.newTag', '1.43.0', '1.42.0']]);
      const moved = await locateEdits(
        dir,
        PROD,
        image('registry.acme.test/users-api:1.42.0'),
        live(dep, pod([{ name: 'users-api', image: 'registry.acme.test/users-api:1.42.0' }])),
      );
      assert.deepEqual(summary(moved), [
        [`${PROD}/kustomization.yaml`, 'images.0.newName', 'registry.acme.test/users-api', undefined],
      ]);
      const scaled = await locateEdits(
        dir,
        PROD,
        { object: dep, patchType: 'strategic', patch: { spec: { replicas: 6 } } },
        live(dep, { spec: { replicas: 6 } }),
      );
      assert.deepEqual(summary(scaled), [[`${PROD}/kustomization.yaml`, 'replicas.0.count', 6, 3]]);
    },
  );

  it(
    'writes new env entries as named items in the overlay ' +
      'patch (strategic merge matches containers and env by name)',
    async () => {
      const env = [
        { name: 'FEATURE_X', value: 'on' },
        { name: 'FEATURE_Y', value: 'off' },
      ];
      const change: LiveChange = { object: dep, patchType: 'strategic', patch: pod([{ name: 'users-api', env }]) };
      const edits = await locateEdits(dir, PROD, change, live(dep, pod([{ name: 'users-api', env }])));
      const p = 'spec.template.spec.containers.0';
      const file = `${PROD}/deployment-users-api-patch.yaml`;
      // One new file for both fields: the second finds the patch the first made.
      assert.deepEqual(
        edits.filter((e) => e.file === file && !e.newFile).map((e) => [e.yamlPath.join('.'), e.value]),
        [
          [`${p}.name`, 'users-api'],
          [`${p}.env.0.name`, 'FEATURE_X'],
          [`${p}.env.0.value`, 'on'],
          [`${p}.env.1.name`, 'FEATURE_Y'],
          [`${p}.env.1.value`, 'off'],
        ],
      );
      assert.deepEqual(
        edits.filter((e) => e.file !== file).map((e) => e.yamlPath.join('.')),
        ['patches.1.path'],
      );
    },
  );

  it('with gitScope base, edits the shared base (named items created there) and says who else gets it', async () => {
    const env = [
      { name: 'FEATURE_X', value: 'on' },
      { name: 'FEATURE_Y', value: 'off' },
    ];
    const change: LiveChange = {
      object: dep,
      patchType: 'strategic',
      patch: pod([{ name: 'users-api', env }]),
      gitScope: 'base',
    };
    const edits = await locateEdits(dir, PROD, change, live(dep, pod([{ name: 'users-api', env }])));
    const p = 'spec.template.spec.containers.0.env';
    assert.deepEqual(
      edits.map((e) => [e.yamlPath.join('.'), e.value]),
      [
        [`${p}.0.name`, 'FEATURE_X'],
        [`${p}.0.value`, 'on'],
        [`${p}.1.name`, 'FEATURE_Y'],
        [`${p}.1.value`, 'off'],
      ],
    );
    assert.ok(edits.every((e) => e.file === 'apps/users-api/base/deployment.yaml'));
    assert.match(
      edits[1]?.why ?? '',
      /also rendered by apps\/users-api\/overlays\/dev, apps\/users-api\/overlays\/staging, which get this change too \(--git-base\)/,
    );
    // A ConfigMap key only the base sets goes to the base too, not to prod's own patch for the object.
    const logs = await locateEdits(
      dir,
      PROD,
      { object: cm, patchType: 'merge', patch: { data: { LOG_LEVEL: 'debug' } }, gitScope: 'base' },
      live(cm, { data: { LOG_LEVEL: 'debug' } }),
    );
    assert.deepEqual(summary(logs), [['apps/users-api/base/configmap.yaml', 'data.LOG_LEVEL', 'debug', 'info']]);
    // What prod's patch already sets stays there: the base would not render in prod.
    const db = await locateEdits(
      dir,
      PROD,
      { object: cm, patchType: 'merge', patch: { data: { DB_HOST: 'x' } }, gitScope: 'base' },
      live(cm, { data: { DB_HOST: 'x' } }),
    );
    assert.deepEqual(summary(db), [[`${PROD}/configmap-patch.yaml`, 'data.DB_HOST', 'x', 'db-prod.internal']]);
  });

  it('edits a plain-manifest directory in the file that defines the object; a deleted key is removed', async () => {
    const billing = ref('ConfigMap', 'billing-worker-prod', 'billing-worker-env');
    const change: LiveChange = { object: billing, patchType: 'merge', patch: { data: { QUEUE_URL: null } } };
    const edits = await locateEdits(dir, 'apps/billing-worker/prod', change, live(billing, { data: {} }));
    assert.deepEqual(
      edits.map((e) => [e.file, e.yamlPath.join('.'), e.remove]),
      [['apps/billing-worker/prod/configmap.yaml', 'data.QUEUE_URL', true]],
    );
  });

  it("keeps a deletion as a literal null in a patch file (kustomize's delete directive)", async () => {
    const change: LiveChange = { object: cm, patchType: 'merge', patch: { data: { DB_HOST: null } } };
    const edits = await locateEdits(dir, PROD, change, live(cm, { data: {} }));
    assert.deepEqual(
      edits.map((e) => [e.file, e.yamlPath.join('.'), e.value, e.remove]),
      [[`${PROD}/configmap-patch.yaml`, 'data.DB_HOST', null, undefined]],
    );
  });

  it('refuses an unknown object, naming what it searched and the flags that name a place', async () => {
    const ghost = ref('ConfigMap', 'users-api-prod', 'nope');
    await assert.rejects(
      locateEdits(dir, PROD, { object: ghost, patchType: 'merge', patch: { data: { A: 'b' } } }, live(ghost, {})),
      badInput(
        /no file in the Git sources of apps\/users-api\/overlays\/prod defines ConfigMap users-api-prod\/nope \(searched apps\/users-api\/overlays\/prod\/kustomization\.yaml, apps\/users-api\/overlays\/prod\/configmap-patch\.yaml, apps\/users-api\/base\/kustomization\.yaml, apps\/users-api\/base\/deployment\.yaml, apps\/users-api\/base\/service\.yaml, apps\/users-api\/base\/configmap\.yaml\)\. .*--git-file <path> --git-path <yaml\.path>/,
      ),
    );
  });

  it('refuses patches it cannot carry and explicit locations that are unsafe or wrong', async () => {
    const after = live(cm, { data: { A: 'b' } });
    const cases: Array<[Partial<LiveChange>, RegExp]> = [
      [
        { patch: { spec: { template: { spec: { $setElementOrder: [] } } } }, patchType: 'strategic' },
        /directive "\$setElementOrder"/,
      ],
      [{ patch: {} }, /sets no field/],
      [{ gitFile: '../outside.yaml', gitPath: 'data.A' }, /inside it/],
      [{ gitFile: 'apps/../../etc/x.yaml', gitPath: 'data.A' }, /no \.\./],
      [{ gitFile: '/etc/passwd', gitPath: 'data.A' }, /relative to the repository root/],
      [{ gitFile: 'apps/users-api/base/configmap.yaml; rm -rf /', gitPath: 'data.A' }, /letters, digits/],
      [{ gitFile: 'README.md', gitPath: 'data.A' }, /\.yaml\/\.yml/],
      [{ gitFile: 'apps/users-api/base/missing.yaml', gitPath: 'data.A' }, /does not exist/],
      [{ gitFile: 'apps/users-api/base/configmap.yaml', gitPath: 'data..A' }, /not a YAML path/],
      [{ gitFile: 'apps/users-api/base/configmap.yaml', gitPath: '$(touch x)' }, /not a YAML path/],
      [{ gitFile: 'apps/users-api/base/configmap.yaml' }, /needs both/],
      [
        { object: { ...cm, name: 'other' } },
        /live object given for ConfigMap users-api-prod\/other is ConfigMap users-api-prod\/users-api-env/,
      ],
    ];
    for (const [over, message] of cases) {
      const change = { object: cm, patchType: 'merge', patch: { data: { A: 'b' } }, ...over } as LiveChange;
      await assert.rejects(locateEdits(dir, PROD, change, after), badInput(message), JSON.stringify(over));
    }
  });

  it('takes an explicit location: gitPath names the field, or for several fields their common parent', async () => {
    const one = await locateEdits(
      dir,
      PROD,
      {
        object: cm,
        patchType: 'merge',
        patch: { data: { A: 'x' } },
        gitFile: 'apps/users-api/base/configmap.yaml',
        gitPath: 'data[app.properties]',
      },
      live(cm, { data: { A: 'x' } }),
    );
    assert.deepEqual(summary(one), [['apps/users-api/base/configmap.yaml', 'data.app.properties', 'x', undefined]]);
    assert.deepEqual(one[0]?.yamlPath, ['data', 'app.properties']);
    const two = await locateEdits(
      dir,
      PROD,
      {
        object: cm,
        patchType: 'merge',
        patch: { data: { A: 'x', B: 'y' } },
        gitFile: 'apps/users-api/base/configmap.yaml',
        gitPath: 'metadata.annotations',
      },
      live(cm, { data: { A: 'x', B: 'y' } }),
    );
    assert.deepEqual(
      two.map((e) => e.yamlPath.join('.')),
      ['metadata.annotations.A', 'metadata.annotations.B'],
    );
  });

  it('writes nothing itself', () => {
    assert.equal(execFileSync('git', ['-C', dir, 'status', '--porcelain'], { encoding: 'utf8' }), '');
  });
});

describe('locateEdits on other kustomize layouts', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-locate-tree-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (files: Record<string, string>) => {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
  };

  it(
    'follows namePrefix, target-selected patches, image renames ' +
      'and kubectl-style files, and writes them in their own style',
    async () => {
      const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        image: acme/api:1.0
        env:
        - name: MODE
          value: safe
---
apiVersion: v1
kind: Service
metadata:
  name: api
`;
      await write({
        'base/kustomization.yaml':
          'resources:\n- all.yaml\nimages:\n- name: acme/api\n  newName: registry.acme.test/api\n',
        'base/all.yaml': deployment,
        'prod/kustomization.yaml':
          'resources:\n- ../base\nnamePrefix: prod-\nnamespace: shop\npatches:\n- path: json6902.yaml\n' +
          '  target: {kind: Deployment, name: api}\n- path: tuning.yaml\n  target:\n    kind: Deployment\n' +
          '    name: "ap.*"\nimages:\n- name: registry.acme.test/api\n  newTag: "2.0"\n',
        'prod/json6902.yaml': '- op: add\n  path: /metadata/labels\n  value: {tier: web}\n',
        'prod/tuning.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: whatever\nspec:\n  replicas: 2\n',
      });
      const dep = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'prod-api' };
      const after = (containers: unknown[], replicas = 2): KubeObject => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'prod-api', namespace: 'shop' },
        spec: { replicas, template: { spec: { containers } } },
      });
      const change = (patch: Record<string, unknown>): LiveChange => ({ object: dep, patchType: 'strategic', patch });

      const image = await locateEdits(
        dir,
        'prod',
        change(pod([{ name: 'api', image: 'registry.acme.test/api:2.1' }])),
        after([{ name: 'api', image: 'registry.acme.test/api:2.1' }]),
      );
      assert.deepEqual(summary(image), [['prod/kustomization.yaml', 'images.0.newTag', '2.1', '2.0']]);
      const scaled = await locateEdits(dir, 'prod', change({ spec: { replicas: 4 } }), after([], 4));
      assert.deepEqual(summary(scaled), [['prod/tuning.yaml', 'spec.replicas', 4, 2]]);
      const mode = await locateEdits(
        dir,
        'prod',
        change(pod([{ name: 'api', env: [{ name: 'MODE', value: 'fast' }] }])),
        after([{ name: 'api', env: [{ name: 'MODE', value: 'fast' }] }]),
      );
      // tuning.yaml (prod's patch for the object, via its target) is preferred over the shared base.
      assert.deepEqual(summary(mode), [
        ['prod/tuning.yaml', 'spec.template.spec.containers.0.name', 'api', undefined],
        ['prod/tuning.yaml', 'spec.template.spec.containers.0.env.0.name', 'MODE', undefined],
        ['prod/tuning.yaml', 'spec.template.spec.containers.0.env.0.value', 'fast', undefined],
      ]);
      assert.deepEqual(await applyEdits(dir, [...image, ...mode]), ['prod/kustomization.yaml', 'prod/tuning.yaml']);
      assert.equal(
        await readFile(path.join(dir, 'prod/tuning.yaml'), 'utf8'),
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: whatever\nspec:\n' +
          '  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: api\n' +
          '          env:\n            - name: MODE\n              value: fast\n',
      );
      // A flow map keeps its tight style; a numeric-looking tag stays a quoted string.
      assert.match(
        await readFile(path.join(dir, 'prod/kustomization.yaml'), 'utf8'),
        /target: \{kind: Deployment, name: api\}\n[\s\S]*newTag: "2\.1"\n/,
      );

      // Without the prod patch for it, an env change edits the second document of the base's multi-document file.
      const noPatch = await locateEdits(
        dir,
        'base',
        {
          object: { ...dep, name: 'api', namespace: '' },
          patchType: 'strategic',
          patch: pod([{ name: 'api', env: [{ name: 'MODE', value: 'x' }] }]),
        },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'api', namespace: '' },
          spec: { template: { spec: { containers: [{ name: 'api', env: [{ name: 'MODE', value: 'x' }] }] } } },
        },
      );
      assert.deepEqual(summary(noPatch), [
        ['base/all.yaml', 'spec.template.spec.containers.0.env.0.value', 'x', 'safe'],
      ]);
      await applyEdits(dir, noPatch);
      // kubectl style (sequences not indented under their key) is kept: only the one line changes.
      assert.equal(
        await readFile(path.join(dir, 'base/all.yaml'), 'utf8'),
        deployment.replace('value: safe', 'value: x'),
      );
    },
  );

  it('refuses to follow a symlink out of the repository', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'rewind-outside-'));
    try {
      await writeFile(
        path.join(outside, 'cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  A: b\n',
      );
      await mkdir(path.join(dir, 'linked'), { recursive: true });
      await writeFile(path.join(dir, 'linked/kustomization.yaml'), 'resources:\n- cm.yaml\n');
      await symlink(path.join(outside, 'cm.yaml'), path.join(dir, 'linked/cm.yaml'));
      const o = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: 'leak' };
      await assert.rejects(
        locateEdits(
          dir,
          'linked',
          { object: o, patchType: 'merge', patch: { data: { A: 'c' } } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'leak', namespace: 'x' }, data: { A: 'c' } },
        ),
        badInput(/no file in the Git sources of linked defines/),
      );
      assert.equal(
        await readFile(path.join(outside, 'cm.yaml'), 'utf8'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  A: b\n',
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('locateEdits keeps a change in its environment', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-locate-env-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh repo per test: base ← common ← dev, prod (kubectl style, comments everywhere). */
  let n = 0;
  const layout = async (extra: Record<string, string> = {}): Promise<string> => {
    const root = path.join(dir, `r${++n}`);
    const files: Record<string, string> = {
      'shop/base/kustomization.yaml': 'resources:\n- app.yaml\n',
      'shop/base/app.yaml': SHOP_APP,
      'shop/common/kustomization.yaml':
        '# tuning every env shares\nresources:\n- ../base\npatches:\n- path: tuning.yaml\n',
      'shop/common/tuning.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n' +
        '      containers:\n      - name: app\n        env:\n        - name: MODE\n          value: fast\n',
      'shop/dev/kustomization.yaml': 'resources:\n- ../common\nnamespace: shop-dev\n',
      'shop/prod/kustomization.yaml': PROD_KUSTOMIZATION,
      ...extra,
    };
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await writeFile(path.join(root, rel), text);
    }
    return root;
  };
  const appEnv = ref('ConfigMap', 'shop-prod', 'prod-app-env');
  const app = ref('Deployment', 'shop-prod', 'prod-app');

  it(
    'a ConfigMap key only the base sets (reached through another ' +
      'layer): a new patch beside the overlay, listed in a new patches:',
    async () => {
      const root = await layout();
      const edits = await locateEdits(
        root,
        'shop/prod',
        { object: appEnv, patchType: 'merge', patch: { data: { LOG_LEVEL: 'debug' } } },
        live(appEnv, { data: { LOG_LEVEL: 'debug' } }),
      );
      const file = 'shop/prod/configmap-app-env-patch.yaml';
      assert.deepEqual(
        edits.map((e) => [e.file, e.yamlPath.join('.'), e.newFile ? 'NEW' : e.value]),
        [
          [file, '', 'NEW'],
          ['shop/prod/kustomization.yaml', 'patches.0.path', 'configmap-app-env-patch.yaml'],
          [file, 'data.LOG_LEVEL', 'debug'],
        ],
      );
      assert.match(
        edits[2]?.why ?? '',
        /data\.LOG_LEVEL of ConfigMap\/prod-app-env comes only from shop\/base\/app\.yaml; shop\/dev render shop\/base too/,
      );
      assert.deepEqual(await applyEdits(root, edits), [file, 'shop/prod/kustomization.yaml']);
      // The overlay keeps every byte, comments and kubectl-style lists included; the patch is named
      // as the base names the object.
      assert.equal(
        await readFile(path.join(root, 'shop/prod/kustomization.yaml'), 'utf8'),
        `${PROD_KUSTOMIZATION}patches:\n- path: configmap-app-env-patch.yaml\n`,
      );
      assert.equal(
        await readFile(path.join(root, file), 'utf8'),
        '# ConfigMap app-env in shop/prod only; the base it patches is shared with other environments\n' +
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-env\ndata:\n  LOG_LEVEL: debug\n',
      );
    },
  );

  it(
    "a field a shared layer's patch sets goes into the overlay " +
      "too, containers and env as named items in the overlay's style",
    async () => {
      const root = await layout();
      const env = [{ name: 'MODE', value: 'safe' }];
      const edits = await locateEdits(
        root,
        'shop/prod',
        { object: app, patchType: 'strategic', patch: pod([{ name: 'app', env }]) },
        live(app, pod([{ name: 'app', env }])),
      );
      assert.match(
        edits.at(-1)?.why ?? '',
        /env\[MODE\]\.value of Deployment\/prod-app is set in shop\/common; shop\/dev render shop\/common too/,
      );
      await applyEdits(root, edits);
      assert.equal(
        await readFile(path.join(root, 'shop/prod/deployment-app-patch.yaml'), 'utf8'),
        '# Deployment app in shop/prod only; the base it patches is shared with other environments\n' +
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n' +
          '      containers:\n      - name: app\n        env:\n        - name: MODE\n          value: safe\n',
      );
      // The next field finds that patch (now registered) and extends it.
      const more = await locateEdits(
        root,
        'shop/prod',
        { object: app, patchType: 'strategic', patch: pod([{ name: 'app', env: [{ name: 'DEBUG', value: '1' }] }]) },
        live(app, pod([{ name: 'app', env: [{ name: 'DEBUG', value: '1' }] }])),
      );
      assert.deepEqual(summary(more), [
        ['shop/prod/deployment-app-patch.yaml', 'spec.template.spec.containers.0.env.1.name', 'DEBUG', undefined],
        ['shop/prod/deployment-app-patch.yaml', 'spec.template.spec.containers.0.env.1.value', '1', undefined],
      ]);
      assert.match(
        more[1]?.why ?? '',
        /is shop\/prod's patch for Deployment\/prod-app: the value is specific to this environment/,
      );
    },
  );

  it("does not overwrite a file that happens to have the patch's name", async () => {
    const root = await layout({ 'shop/prod/configmap-app-env-patch.yaml': '# notes, not a patch\n' });
    const edits = await locateEdits(
      root,
      'shop/prod',
      { object: appEnv, patchType: 'merge', patch: { data: { LOG_LEVEL: 'debug' } } },
      live(appEnv, { data: { LOG_LEVEL: 'debug' } }),
    );
    assert.deepEqual(
      [...new Set(edits.map((e) => e.file))],
      ['shop/prod/configmap-app-env-patch-2.yaml', 'shop/prod/kustomization.yaml'],
    );
  });

  it('edits a layer no other environment renders in place', async () => {
    const root = await layout({ 'shop/dev/kustomization.yaml': 'resources: []\n' });
    const edits = await locateEdits(
      root,
      'shop/prod',
      { object: appEnv, patchType: 'merge', patch: { data: { LOG_LEVEL: 'debug' } } },
      live(appEnv, { data: { LOG_LEVEL: 'debug' } }),
    );
    assert.deepEqual(summary(edits), [['shop/base/app.yaml', 'data.LOG_LEVEL', 'debug', 'info']]);
  });
});

const SHOP_APP = `# shared by every env of the shop
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-env
data:
  LOG_LEVEL: info # debug only while investigating
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        image: acme/app:1.0
`;

const PROD_KUSTOMIZATION = `# prod: only what differs from the other envs
resources:
- ../common # shared with dev
namespace: shop-prod
namePrefix: prod-
`;

describe('parseImage', () => {
  it('splits repository, tag and digest, registry ports included', () => {
    assert.deepEqual(parseImage('ghcr.io/acme/api:1.2'), { repo: 'ghcr.io/acme/api', tag: '1.2' });
    assert.deepEqual(parseImage('localhost:5000/api'), { repo: 'localhost:5000/api' });
    assert.deepEqual(parseImage('api:1@sha256:ab'), { repo: 'api', tag: '1', digest: 'sha256:ab' });
  });
});
