import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitSource, GitSourceCache, GitSourceError } from '../../../src/lib/gitops/git-source.js';
import { tempRepo, type TempRepo } from './temp-repo.js';

describe('GitSource', () => {
  let repo: TempRepo;
  let source: GitSource;
  before(async () => {
    repo = await tempRepo({ 'app/cm.yaml': 'v: 1\n' });
    source = new GitSourceCache(path.join(repo.root, 'cache')).get(repo.remote);
  });
  after(() => repo.cleanup());

  it('resolves HEAD, a branch and an abbreviated sha to the same full sha', async () => {
    const head = await source.resolve('HEAD');
    assert.match(head, /^[0-9a-f]{40}$/);
    assert.equal(await source.resolve('main'), head);
    assert.equal(await source.resolve(''), head);
    assert.equal(await source.resolve(head.slice(0, 9)), head);
  });

  it('fetches before resolving: a new commit is seen without re-cloning', async () => {
    const first = await source.resolve('main');
    const second = await repo.commit({ 'app/cm.yaml': 'v: 2\n' }, 'bump');
    assert.notEqual(second, first);
    assert.equal(await source.resolve('main'), second);
    assert.deepEqual(await readdir(path.join(repo.root, 'cache', 'git')), [
      (await readdir(path.join(repo.root, 'cache', 'git')))[0],
    ]);
  });

  it('checks out each revision once into its own directory', async () => {
    const newSha = await source.resolve('main');
    const oldSha = (await source.resolve('main~1').catch(() => undefined)) ?? undefined;
    assert.equal(oldSha, undefined, 'ref expressions such as main~1 are refused');
    const dir = await source.checkout(newSha);
    assert.equal(await readFile(path.join(dir, 'app/cm.yaml'), 'utf8'), 'v: 2\n');
    assert.equal(await source.checkout(newSha.slice(0, 12)), dir, 'abbreviated sha maps to the same cached tree');
    assert.equal(path.basename(dir), newSha);
  });

  it(
    'a caller that asks while a fetch runs gets a later ' + 'fetch, so it sees what was pushed before it asked',
    async () => {
      const inFlight = source.fetch();
      const pushed = await repo.commit({ 'app/cm.yaml': 'v: 3\n' }, 'pushed during a fetch');
      assert.equal(await source.resolve('main'), pushed);
      await inFlight;
    },
  );

  it('serves 20 reads at once from one mirror, each tree extracted once', async () => {
    const views = await Promise.all(
      Array.from({ length: 20 }, () =>
        source.read(async (view) => {
          const tip = (await view.git.raw(['rev-parse', view.branchRef('main')])).trim();
          const content = await view.withTree(tip, (dir) => readFile(path.join(dir, 'app/cm.yaml'), 'utf8'));
          return { tip, dir: await source.checkout(tip), content };
        }),
      ),
    );
    assert.equal(new Set(views.map((v) => v.tip)).size, 1);
    assert.equal(new Set(views.map((v) => v.dir)).size, 1);
    assert.deepEqual(new Set(views.map((v) => v.content)), new Set(['v: 3\n']));
    assert.deepEqual(await readdir(path.join(repo.root, 'cache', 'git')).then((d) => d.length), 1);
  });

  it('keeps at most maxTrees trees, least recently used out first, never one in use', async () => {
    const small = new GitSource(repo.remote, path.join(repo.root, 'cache-small'), 2);
    const shas = [];
    for (const v of [10, 11, 12]) shas.push(await repo.commit({ 'app/cm.yaml': `v: ${v}\n` }, `v${v}`));
    await small.fetch();
    const treesDir = small.treesDir;
    let release!: () => void;
    const holding = small.withTree(shas[0]!, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 100));
    await small.checkout(shas[1]!);
    await small.checkout(shas[2]!);
    const trees = async () => (await readdir(treesDir)).sort();
    // Three trees, but the oldest is in use: the least recently used one not in use went.
    assert.deepEqual(await trees(), [shas[0]!, shas[2]!].sort());
    release();
    await holding;
    assert.deepEqual(await trees(), [shas[2]!, shas[0]!].sort(), 'back to two; the one just used stays');
  });

  it('refuses refs and shas that could be options or are not there', async () => {
    await assert.rejects(source.resolve('--upload-pack=touch /tmp/x'), GitSourceError);
    await assert.rejects(source.resolve('no-such-branch'), /revision no-such-branch not found/);
    await assert.rejects(source.checkout('HEAD'), /invalid commit sha/);
    await assert.rejects(source.checkout('deadbeefdeadbeef'), /not found/);
  });

  it('reports an unreachable repository with its URL', async () => {
    const bad = new GitSource(path.join(repo.root, 'missing.git'), path.join(repo.root, 'cache2'));
    await assert.rejects(
      bad.resolve('HEAD'),
      (err: Error) => err instanceof GitSourceError && err.message.includes('missing.git'),
    );
  });
});
