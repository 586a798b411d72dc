import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { simpleGit } from 'simple-git';
import { parseAllDocuments, parseDocument } from 'yaml';
import { findKustomize } from '../../../src/lib/tools/binaries.js';
import {
  seedConfigRepo,
  tagFile,
  type ConfigRepo,
  type PromotableApp,
} from '../../../src/sandbox/world/config-repo.js';

const run = promisify(execFile);
const GIT_CONFIG = ['user.name=Other Process', 'user.email=other@acme.test', 'commit.gpgsign=false'];

describe('seeded config repo', () => {
  let root: string;
  let repo: ConfigRepo;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'rewind-config-repo-'));
    repo = await seedConfigRepo(root);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const bare = () => simpleGit({ baseDir: repo.remote });
  const changedFiles = async (sha: string) =>
    (await bare().raw(['diff-tree', '--no-commit-id', '--name-only', '-r', sha])).trim().split('\n');
  const changedLines = async (sha: string) =>
    (await bare().raw(['show', '--format=', '--unified=0', sha])).split('\n').filter((l) => /^[-+](?![-+]{2})/.test(l));

  it('has the kustomize and plain-YAML layout at main of the bare repo', async () => {
    assert.equal(repo.branch, 'main');
    assert.ok(path.isAbsolute(repo.remote));
    const files = (await bare().raw(['ls-tree', '-r', '--name-only', 'main'])).trim().split('\n').sort();
    const expected = [
      'README.md',
      // billing-worker's namespace is in Git: Flux's kustomize-controller creates none itself.
      ...['dev', 'prod'].flatMap((e) =>
        ['configmap', 'deployment', 'namespace'].map((f) => `apps/billing-worker/${e}/${f}.yaml`),
      ),
      'apps/users-api/base/configmap.yaml',
      'apps/users-api/base/deployment.yaml',
      'apps/users-api/base/kustomization.yaml',
      'apps/users-api/base/service.yaml',
      ...['dev', 'prod', 'staging'].flatMap((e) => [
        `apps/users-api/overlays/${e}/configmap-patch.yaml`,
        `apps/users-api/overlays/${e}/kustomization.yaml`,
      ]),
    ].sort();
    assert.deepEqual(files, expected);

    const prod = parseDocument(await repo.show('apps/users-api/overlays/prod/kustomization.yaml')).toJS();
    assert.equal(prod.namespace, 'users-api-prod');
    assert.deepEqual(prod.images, [{ name: 'ghcr.io/acme/users-api', newTag: '1.42.0' }]);
    assert.deepEqual(prod.replicas, [{ name: 'users-api', count: 3 }]);
    assert.deepEqual(prod.patches, [{ path: 'configmap-patch.yaml' }]);
    for (const [env, count] of [
      ['dev', 1],
      ['staging', 2],
    ] as const) {
      const k = parseDocument(await repo.show(`apps/users-api/overlays/${env}/kustomization.yaml`)).toJS();
      assert.deepEqual(k.replicas, [{ name: 'users-api', count }]);
      assert.equal(k.images[0].newTag, '1.42.0');
      const patch = parseDocument(await repo.show(`apps/users-api/overlays/${env}/configmap-patch.yaml`)).toJS();
      assert.equal(patch.data.DB_HOST, `db-${env}.internal`);
    }

    const cm = parseDocument(await repo.show('apps/users-api/base/configmap.yaml')).toJS();
    assert.deepEqual(cm, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'users-api-env', labels: { 'app.kubernetes.io/name': 'users-api' } },
      data: { DB_HOST: 'db.internal', LOG_LEVEL: 'info', FEATURE_FLAGS: '' },
    });
    const dep = parseDocument(await repo.show('apps/users-api/base/deployment.yaml')).toJS();
    assert.equal(dep.spec.progressDeadlineSeconds, 20);
    assert.equal(dep.spec.template.spec.containers[0].image, 'ghcr.io/acme/users-api:1.40.0');
    assert.deepEqual(dep.spec.template.spec.containers[0].envFrom, [{ configMapRef: { name: 'users-api-env' } }]);
    assert.equal(dep.spec.template.spec.containers[0].readinessProbe.httpGet.path, '/healthz');

    for (const env of ['dev', 'prod']) {
      const bw = parseDocument(await repo.show(`apps/billing-worker/${env}/deployment.yaml`)).toJS();
      assert.equal(bw.metadata.namespace, `billing-worker-${env}`);
      assert.equal(bw.spec.progressDeadlineSeconds, 20);
      assert.equal(bw.spec.template.spec.containers[0].image, 'ghcr.io/acme/billing-worker:2.4.0');
      const bcm = parseDocument(await repo.show(`apps/billing-worker/${env}/configmap.yaml`)).toJS();
      assert.equal(bcm.metadata.name, 'billing-worker-env');
      assert.equal(bcm.data.QUEUE_URL, `amqp://mq-${env}.internal`);
    }
  });

  it('prints every YAML file back byte for byte through the Document API', async () => {
    const files = (await bare().raw(['ls-tree', '-r', '--name-only', 'main']))
      .trim()
      .split('\n')
      .filter((f) => f.endsWith('.yaml'));
    for (const f of files) {
      const text = await repo.show(f);
      assert.equal(parseDocument(text).toString(), text, `${f} does not round-trip`);
    }
  });

  it('records promotions that match git log, each touching only its tag line', async () => {
    const log = await bare().log(['main']);
    const commits = [...log.all].reverse();
    const promoCommits = commits.filter((c) => c.message.startsWith('promote '));
    assert.equal(repo.promotions.length, 10);
    assert.deepEqual(
      repo.promotions.map((p) => p.sha),
      promoCommits.map((c) => c.hash),
    );
    assert.deepEqual(
      repo.promotions.map((p) => `${p.app} ${p.env} ${p.from}->${p.to}`),
      [
        'users-api dev 1.40.0->1.41.0',
        'users-api staging 1.40.0->1.41.0',
        'billing-worker dev 2.2.0->2.3.0',
        'users-api prod 1.40.0->1.41.0',
        'billing-worker prod 2.2.0->2.3.0',
        'users-api dev 1.41.0->1.42.0',
        'users-api staging 1.41.0->1.42.0',
        'billing-worker dev 2.3.0->2.4.0',
        'users-api prod 1.41.0->1.42.0',
        'billing-worker prod 2.3.0->2.4.0',
      ],
    );
    for (const [i, p] of repo.promotions.entries()) {
      const c = promoCommits[i]!;
      assert.equal(c.message, `promote ${p.app} ${p.to} to ${p.env}`);
      assert.equal(`${c.author_name} <${c.author_email}>`, 'ci-bot <ci@acme.test>');
      assert.deepEqual(await changedFiles(p.sha), [tagFile(p.app as PromotableApp, p.env)]);
      const lines = await changedLines(p.sha);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.equal(lines[0]!.replace(p.from, p.to).slice(1), lines[1]!.slice(1), 'only the tag differs');
    }

    // Non-promotion commits by people are interleaved, and dates move forward over past days.
    const others = commits.filter((c) => !c.message.startsWith('promote '));
    assert.ok(others.length >= 4);
    assert.ok(
      others.some((c) => c.author_email === 'dana@acme.test') && others.some((c) => c.author_email === 'lee@acme.test'),
    );
    const times = commits.map((c) => Date.parse(c.date));
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, 'author dates increase');
    const committerTimes = (await bare().raw(['log', '--reverse', '--format=%ct', 'main']))
      .trim()
      .split('\n')
      .map(Number);
    assert.deepEqual(
      committerTimes,
      times.map((t) => t / 1000),
      'committer date equals author date',
    );
    assert.ok(times[0]! < Date.now() - 5 * 24 * 3_600_000 && times.at(-1)! < Date.now());
  });

  it('promote() adds a ci-bot commit that changes only the tag and keeps comments', async () => {
    const before = await repo.head();
    const file = tagFile('users-api', 'staging');
    const old = await repo.show(file);
    const p = await repo.promote('users-api', 'staging', '1.43.0');
    assert.deepEqual({ ...p, sha: '' }, { app: 'users-api', env: 'staging', sha: '', from: '1.42.0', to: '1.43.0' });
    assert.equal(await repo.head(), p.sha);
    assert.equal((await bare().raw(['rev-parse', `${p.sha}^`])).trim(), before);
    assert.equal(repo.promotions.at(-1), p);
    assert.deepEqual(await changedFiles(p.sha), [file]);
    assert.deepEqual(await changedLines(p.sha), ['-    newTag: 1.42.0', '+    newTag: 1.43.0']);
    const now = await repo.show(file);
    assert.equal(now, old.replace('newTag: 1.42.0', 'newTag: 1.43.0'));
    assert.match(now, /^# users-api in staging; newTag is bumped by ci-bot promotions/);

    const bw = await repo.promote('billing-worker', 'prod', '2.5.0-rc.1');
    assert.equal(bw.from, '2.4.0');
    assert.deepEqual(await changedLines(bw.sha), [
      '-          image: ghcr.io/acme/billing-worker:2.4.0 # bumped by ci-bot promotions',
      '+          image: ghcr.io/acme/billing-worker:2.5.0-rc.1 # bumped by ci-bot promotions',
    ]);
    const log = await bare().log({ maxCount: 1 });
    assert.equal(log.latest?.message, 'promote billing-worker 2.5.0-rc.1 to prod');
    assert.equal(log.latest?.author_email, 'ci@acme.test');
  });

  it('commit() rebases onto pushes from other clones', async () => {
    const other = path.join(root, 'other-clone');
    await simpleGit().clone(repo.remote, other);
    const og = simpleGit({ baseDir: other, config: GIT_CONFIG });
    await writeFile(path.join(other, 'NOTES.md'), 'pushed by someone else\n');
    await og.add(['--', 'NOTES.md']);
    await og.commit('add notes');
    await og.push('origin', 'main');
    const theirs = (await og.revparse(['HEAD'])).trim();

    const sha = await repo.commit(
      {
        'apps/users-api/base/configmap.yaml': (await repo.show('apps/users-api/base/configmap.yaml')).replace(
          'LOG_LEVEL: info',
          'LOG_LEVEL: warn',
        ),
        'docs/oncall.md': '# on call\n',
      },
      'users-api: warn logging',
      { name: 'Lee Dev', email: 'lee@acme.test' },
    );
    assert.equal(await repo.head(), sha);
    assert.equal((await bare().raw(['rev-parse', `${sha}^`])).trim(), theirs);
    assert.equal(await repo.show('NOTES.md'), 'pushed by someone else\n');
    assert.equal(await repo.show('docs/oncall.md'), '# on call\n');
    assert.match(await repo.show('apps/users-api/base/configmap.yaml'), /LOG_LEVEL: warn # debug doubles log volume/);
    const latest = (await bare().log({ maxCount: 1 })).latest;
    assert.equal(`${latest?.author_name} <${latest?.author_email}>`, 'Lee Dev <lee@acme.test>');

    // And a promotion after another push still records the pushed sha.
    await og.pull('origin', 'main', { '--rebase': 'true' });
    await writeFile(path.join(other, 'NOTES.md'), 'more\n');
    await og.add(['--', 'NOTES.md']);
    await og.commit('more notes');
    await og.push('origin', 'main');
    const p = await repo.promote('users-api', 'dev', '1.43.0');
    assert.equal(await repo.head(), p.sha);
  });

  it('retries a push rejected because someone pushed in between', async () => {
    const racer = path.join(root, 'racer-clone');
    await simpleGit().clone(repo.remote, racer);
    const marker = path.join(root, 'raced');
    // A pre-push hook in the seed clone pushes from another clone once, so the first push of
    // promote() is rejected as non-fast-forward after its pull already ran.
    const hook = path.join(repo.workdir, '.git', 'hooks', 'pre-push');
    await writeFile(
      hook,
      [
        '#!/bin/sh',
        `[ -e '${marker}' ] && exit 0`,
        `touch '${marker}'`,
        'unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE',
        `cd '${racer}' && git pull -q --rebase origin main && echo raced > RACE.md && git add RACE.md &&` +
          ` git -c user.name=Racer -c user.email=racer@acme.test ` +
          `commit -qm 'racing push' && git push -q origin HEAD:main`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    try {
      const p = await repo.promote('billing-worker', 'dev', '2.5.0');
      assert.equal(await repo.head(), p.sha);
      const parent = (await bare().log({ maxCount: 2 })).all[1];
      assert.equal(parent?.message, 'racing push');
      assert.equal(await repo.show('RACE.md'), 'raced\n');
      assert.deepEqual(await changedFiles(p.sha), [tagFile('billing-worker', 'dev')]);
      assert.equal(repo.promotions.at(-1)?.sha, p.sha);
    } finally {
      await rm(hook, { force: true });
    }
  });

  it('refuses bad input without changing the remote', async () => {
    const head = await repo.head();
    await assert.rejects(
      repo.promote('users-api', 'qa', '1.0.0'),
      /users-api has no env "qa" \(known: dev, staging, prod\)/,
    );
    await assert.rejects(repo.promote('billing-worker', 'staging', '1.0.0'), /no env "staging"/);
    await assert.rejects(repo.promote('users-api', 'prod', '--force'), /not a valid image tag/);
    await assert.rejects(repo.promote('users-api', 'prod', '1.42.0'), /already at 1.42.0; nothing to promote/);
    await assert.rejects(repo.commit({ '../escape.txt': 'x' }, 'nope'), /must be relative and inside the repository/);
    await assert.rejects(repo.commit({ '.git/config': 'x' }, 'nope'), /points into \.git/);
    await assert.rejects(repo.commit({ 'README.md': await repo.show('README.md') }, 'no-op'), /nothing to commit/);
    await assert.rejects(repo.show('README.md', '--output=/tmp/x'), /not a valid revision/);
    assert.equal(await repo.head(), head);
    const status = await simpleGit({ baseDir: repo.workdir }).status();
    assert.ok(status.isClean(), 'seed clone is left clean');
    // Still usable afterwards.
    assert.equal((await repo.promote('users-api', 'prod', '1.42.1')).from, '1.42.0');
  });

  it('refuses to seed over an existing world', async () => {
    await assert.rejects(seedConfigRepo(root), /EEXIST/);
  });

  const kustomize = findKustomize();
  it('renders the prod overlay with real kustomize', {
    skip: kustomize ? false : 'kustomize not found (npm run provision)',
  }, async () => {
    const checkout = path.join(root, 'render');
    await simpleGit().clone(repo.remote, checkout);
    // Render the seeded state, not the later test promotions.
    await simpleGit({ baseDir: checkout }).checkout(repo.promotions[9]!.sha);
    const { stdout } = await run(kustomize!, ['build', 'apps/users-api/overlays/prod'], { cwd: checkout });
    const objects = parseAllDocuments(stdout).map((d) => d.toJS());
    const dep = objects.find((o) => o.kind === 'Deployment');
    assert.equal(dep.metadata.name, 'users-api');
    assert.equal(dep.metadata.namespace, 'users-api-prod');
    assert.equal(dep.spec.replicas, 3);
    assert.equal(dep.spec.template.spec.containers[0].image, 'ghcr.io/acme/users-api:1.42.0');
    const cm = objects.find((o) => o.kind === 'ConfigMap');
    assert.equal(cm.metadata.name, 'users-api-env');
    assert.equal(cm.metadata.namespace, 'users-api-prod');
    assert.deepEqual(cm.data, { DB_HOST: 'db-prod.internal', LOG_LEVEL: 'info', FEATURE_FLAGS: '' });
    const svc = objects.find((o) => o.kind === 'Service');
    assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, targetPort: 8080 }]);
  });
});
