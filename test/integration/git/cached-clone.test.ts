import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clonePath, createCloneStore } from '../../../src/lib/git/cached-clone.js';
import { UnsafeGitInputError } from '../../../src/lib/git/validate.js';
import { GitSource } from '../../../src/lib/gitops/git-source.js';
import { gitWorld, type GitWorld } from './fixtures.js';

describe('cached clone store', () => {
  let world: GitWorld;
  before(async () => {
    world = await gitWorld();
  });
  after(async () => {
    await world.dispose();
  });

  it('clones once per URL, then fetches: later uses see new commits in the same clone', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    const dir = clonePath(world.cacheDir, world.repo.remote);
    const first = await store.use(world.repo.remote, async (c) => {
      assert.equal(c.dir, dir);
      await writeFile(path.join(c.dir, '.git', 'rewind-marker'), 'same clone');
      return (await c.git.raw(['rev-parse', 'origin/main'])).trim();
    });
    assert.equal(first, await world.repo.head());
    const pushed = await world.repo.promote('users-api', 'dev', '1.50.0');
    // A second store (a restarted worker) on the same cache dir reuses the clone too.
    const second = await createCloneStore({ cacheDir: world.cacheDir }).use(world.repo.remote, async (c) => {
      assert.equal(await readFile(path.join(c.dir, '.git', 'rewind-marker'), 'utf8'), 'same clone');
      return (await c.git.raw(['rev-parse', 'origin/main'])).trim();
    });
    assert.equal(second, pushed.sha);
    assert.deepEqual(await readdir(path.join(world.cacheDir, 'repos')), [path.basename(dir)]);
  });

  it('serializes concurrent uses of one clone', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    const events: string[] = [];
    const op = (name: string) =>
      store.use(world.repo.remote, async () => {
        events.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${name}:end`);
        if (name === 'b') throw new Error('b fails');
      });
    const results = await Promise.allSettled([op('a'), op('b'), op('c')]);
    assert.deepEqual(events, ['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  it('a use queued behind another shows it is alive while it waits, and a cancelled one never runs', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = store.use(world.repo.remote, () => held);
    let beats = 0;
    const queued = store.use(world.repo.remote, async () => 'ran', { whileWaiting: () => beats++, everyMs: 10 });
    const cancel = new AbortController();
    let ranCancelled = false;
    const cancelled = store.use(
      world.repo.remote,
      async () => {
        ranCancelled = true;
      },
      { signal: cancel.signal },
    );
    await new Promise((r) => setTimeout(r, 200));
    cancel.abort(new Error('activity cancelled'));
    const beatsWhileWaiting = beats;
    release();
    await first;
    assert.equal(await queued, 'ran');
    await assert.rejects(cancelled, /activity cancelled/);
    assert.equal(ranCancelled, false);
    assert.ok(beatsWhileWaiting >= 5, `heartbeats while queued: ${beatsWhileWaiting}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(beats, beatsWhileWaiting, 'no heartbeat once its turn came');
  });

  it('gives a detached worktree at a sha and removes it afterwards, also when the callback throws', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    const first = world.repo.promotions[0];
    assert.ok(first);
    let seen = '';
    await store.use(world.repo.remote, async (c) => {
      await c.withWorktree(first.sha, async (dir) => {
        seen = dir;
        const overlay = await readFile(path.join(dir, 'apps/users-api/overlays/dev/kustomization.yaml'), 'utf8');
        assert.match(overlay, /newTag: 1\.41\.0/);
      });
      await assert.rejects(
        c.withWorktree(first.sha, async () => {
          throw new Error('render failed');
        }),
        /render failed/,
      );
      assert.equal((await c.git.raw(['worktree', 'list'])).trim().split('\n').length, 1);
      await assert.rejects(
        c.withWorktree('HEAD', async () => undefined),
        UnsafeGitInputError,
      );
    });
    assert.equal(existsSync(seen), false);
    assert.deepEqual(await readdir(path.join(world.cacheDir, 'worktrees')), []);
  });

  it('recovers a clone left mid-revert by a killed worker', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    const dir = clonePath(world.cacheDir, world.repo.remote);
    await store.use(world.repo.remote, async (c) => {
      await writeFile(path.join(c.dir, 'README.md'), 'scribbled\n');
      await c.git.raw(['revert', '--no-commit', (world.repo.promotions.at(-1) as { sha: string }).sha]);
    });
    assert.ok(existsSync(path.join(dir, '.git', 'REVERT_HEAD')));
    await store.use(world.repo.remote, async (c) => {
      assert.equal(existsSync(path.join(c.dir, '.git', 'REVERT_HEAD')), false);
      assert.equal((await c.git.raw(['status', '--porcelain'])).trim(), '');
    });
  });

  it('keeps a commit-graph beside the clone (history walks read it), also for a clone made before it did', async () => {
    const graph = path.join(clonePath(world.cacheDir, world.repo.remote), '.git', 'objects', 'info', 'commit-graph');
    await createCloneStore({ cacheDir: world.cacheDir }).use(world.repo.remote, async () => undefined);
    assert.ok(existsSync(graph));
    await rm(graph);
    await createCloneStore({ cacheDir: world.cacheDir }).use(world.repo.remote, async (c) => {
      assert.ok(existsSync(graph));
      assert.equal((await c.git.raw(['commit-graph', 'verify'])).trim(), '');
    });
  });

  it('recovers a clone left mid-cherry-pick, and one with a stale worktree entry', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    const dir = clonePath(world.cacheDir, world.repo.remote);
    const promotions = world.repo.promotions.filter((p) => p.app === 'users-api' && p.env === 'prod');
    await store.use(world.repo.remote, async (c) => {
      // The last prod promotion picked onto a commit that set another tag on the same line: a conflict.
      await c.git.raw(['checkout', '--quiet', '--detach', promotions.at(-1)!.sha]);
      const overlay = path.join(c.dir, 'apps/users-api/overlays/prod/kustomization.yaml');
      await writeFile(overlay, (await readFile(overlay, 'utf8')).replace(/newTag: .*/, 'newTag: 9.9.9'));
      await c.git.raw(['commit', '--quiet', '-am', 'local tag']);
      await assert.rejects(c.git.raw(['cherry-pick', promotions.at(-1)!.sha]), /conflict/i);
      await mkdir(path.join(c.dir, '.git', 'worktrees', 'gone'), { recursive: true });
      await writeFile(path.join(c.dir, '.git', 'worktrees', 'gone', 'gitdir'), '/nonexistent/.git\n');
    });
    assert.ok(existsSync(path.join(dir, '.git', 'CHERRY_PICK_HEAD')));
    await store.use(world.repo.remote, async (c) => {
      assert.equal(existsSync(path.join(c.dir, '.git', 'CHERRY_PICK_HEAD')), false);
      assert.equal(existsSync(path.join(c.dir, '.git', 'worktrees', 'gone')), false);
      assert.equal((await c.git.raw(['status', '--porcelain'])).trim(), '');
    });
  });

  it('with a mirror, is made from it (the host is cloned once), then fetches from and pushes to the host', async () => {
    const cacheDir = path.join(world.root, 'cache-mirrored');
    const source = new GitSource(world.repo.remote, path.join(cacheDir, 'sources'));
    let mirrorFetches = 0;
    const mirror = {
      mirrorDir: source.mirrorDir,
      fetch: async () => {
        mirrorFetches++;
        await source.fetch();
      },
    };
    const store = createCloneStore({ cacheDir, mirror: () => mirror });
    const originMain = (c: { git: { raw(a: string[]): Promise<string> } }) =>
      c.git.raw(['rev-parse', 'origin/main']).then((s) => s.trim());
    const head = await store.use(world.repo.remote, async (c) => {
      assert.equal((await c.git.raw(['config', '--get', 'remote.origin.url'])).trim(), world.repo.remote);
      // Made from the mirror: a local clone shares its object files by hard links.
      const packs = path.join(c.dir, '.git', 'objects', 'pack');
      const pack = (await readdir(packs)).find((f) => f.endsWith('.pack'));
      assert.ok(pack);
      assert.ok((await stat(path.join(packs, pack))).nlink > 1, 'hard-linked from the mirror');
      return originMain(c);
    });
    assert.equal(head, await world.repo.head());
    assert.equal(mirrorFetches, 1, 'the mirror was fetched to make the clone');
    // Later uses fetch the host directly: a push starts from the host's tip.
    const pushed = await world.repo.promote('users-api', 'dev', '1.51.0');
    assert.equal(await store.use(world.repo.remote, originMain), pushed.sha);
    const mine = await store.use(world.repo.remote, async (c) => {
      await c.git.raw(['checkout', '--quiet', '--detach', 'origin/main']);
      await writeFile(path.join(c.dir, 'NOTES.md'), 'pushed from the clone made from the mirror\n');
      await c.git.raw(['add', 'NOTES.md']);
      await c.git.raw(['commit', '--quiet', '-m', 'notes']);
      await c.git.raw(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
      return (await c.git.raw(['rev-parse', 'HEAD'])).trim();
    });
    assert.equal(await world.repo.head(), mine);
    assert.equal(mirrorFetches, 1, 'the mirror is left to the reads');
  });

  it('refuses URLs git could read as options, before running git', async () => {
    const store = createCloneStore({ cacheDir: world.cacheDir });
    assert.throws(() => store.use('--upload-pack=touch /tmp/x', async () => undefined), UnsafeGitInputError);
    assert.throws(() => store.use('-oProxyCommand=x', async () => undefined), UnsafeGitInputError);
  });

  it('keeps one clone per URL', () => {
    assert.notEqual(clonePath('/c', 'git@github.com:acme/a.git'), clonePath('/c', 'git@github.com:acme/b.git'));
    assert.match(clonePath('/c', 'https://x/y.git'), /^\/c\/repos\/[0-9a-f]{16}$/);
  });
});
