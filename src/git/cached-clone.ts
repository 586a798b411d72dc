/**
 * One clone per repository URL, kept under the worker's cache dir and reused by every run: cloning
 * a config repo per activity would be slow and would hammer the Git host during an incident, when
 * many runs start at once. Each use fetches first, and uses of one clone are serialized because
 * concurrent activities in this process share it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { createKeyedMutex } from './keyed-mutex.js';
import { assertCloneUrl, isSha, UnsafeGitInputError } from './validate.js';

export interface GitIdentity { name: string; email: string }

/** @default { name: 'rewind', email: 'rewind@localhost' } */
export const DEFAULT_COMMITTER: GitIdentity = { name: 'rewind', email: 'rewind@localhost' };

export interface CloneStoreOptions {
  /** Root of rewind's cache; clones live in `<cacheDir>/repos/`, temporary worktrees in `<cacheDir>/worktrees/`. */
  cacheDir: string;
  /** Committer of every commit rewind makes; the author is set per commit. @default DEFAULT_COMMITTER */
  committer?: GitIdentity;
}

export interface CachedClone {
  readonly url: string;
  /** The clone's work tree. */
  readonly dir: string;
  /** simple-git bound to the clone, with the committer identity and safe defaults as `-c` config. */
  readonly git: SimpleGit;
  /** `git fetch --prune origin`. */
  fetch(): Promise<void>;
  /** Runs `fn` in a detached worktree checked out at `sha` (e.g. to render it), removed afterwards. */
  withWorktree<T>(sha: string, fn: (dir: string) => Promise<T>): Promise<T>;
  /** Throws away local changes and any interrupted revert/rebase: the clone holds nothing of value. */
  clean(): Promise<void>;
}

export interface CloneStore {
  /** Exclusive use of the clone of `url`: cloned on first use, then cleaned and fetched before `fn`. */
  use<T>(url: string, fn: (clone: CachedClone) => Promise<T>): Promise<T>;
}

const BASE_CONFIG = ['commit.gpgsign=false', 'core.autocrlf=false', 'advice.detachedHead=false', 'rebase.autoStash=false'];

/** `<cacheDir>/repos/<first 16 hex of sha256(url)>`: stable per URL, and no URL text in a path. */
export function clonePath(cacheDir: string, url: string): string {
  return path.join(path.resolve(cacheDir), 'repos', createHash('sha256').update(url).digest('hex').slice(0, 16));
}

export function createCloneStore(options: CloneStoreOptions): CloneStore {
  const cacheDir = path.resolve(options.cacheDir);
  const committer = options.committer ?? DEFAULT_COMMITTER;
  const config = [...BASE_CONFIG, `user.name=${committer.name}`, `user.email=${committer.email}`];
  const mutex = createKeyedMutex();
  const gitAt = (baseDir: string): SimpleGit => simpleGit({ baseDir, config });

  async function ensureClone(url: string, dir: string): Promise<void> {
    if (existsSync(path.join(dir, '.git'))) {
      const origin = await gitAt(dir).raw(['config', '--get', 'remote.origin.url']).catch(() => '');
      if (origin.trim() === url) return;
      // A half-made or foreign directory (crash during clone, hash collision): start over.
      await rm(dir, { recursive: true, force: true });
    }
    const reposDir = path.dirname(dir);
    await mkdir(reposDir, { recursive: true });
    // Clone beside the final path and rename, so a crash never leaves a partial clone in place.
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await gitAt(reposDir).raw(['clone', '--no-tags', '--', url, tmp]);
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  function cachedClone(url: string, dir: string): CachedClone {
    const git = gitAt(dir);
    return {
      url,
      dir,
      git,
      async fetch() {
        await git.raw(['fetch', '--prune', '--no-tags', 'origin']);
      },
      async clean() {
        // Each of these fails harmlessly when nothing is in progress.
        await git.raw(['revert', '--abort']).catch(() => undefined);
        await git.raw(['cherry-pick', '--abort']).catch(() => undefined);
        await git.raw(['rebase', '--abort']).catch(() => undefined);
        await git.raw(['reset', '--hard', '--quiet']);
        await git.raw(['clean', '-ffdq']);
        await git.raw(['worktree', 'prune']);
      },
      async withWorktree(sha, fn) {
        if (!isSha(sha)) throw new UnsafeGitInputError('sha', `"${sha}" is not a commit sha`);
        const root = path.join(cacheDir, 'worktrees');
        await mkdir(root, { recursive: true });
        const wt = await mkdtemp(path.join(root, 'wt-'));
        try {
          await git.raw(['worktree', 'add', '--detach', '--quiet', wt, sha]);
          return await fn(wt);
        } finally {
          await git.raw(['worktree', 'remove', '--force', wt]).catch(() => undefined);
          await rm(wt, { recursive: true, force: true });
          await git.raw(['worktree', 'prune']).catch(() => undefined);
        }
      },
    };
  }

  return {
    use(url, fn) {
      assertCloneUrl(url);
      const dir = clonePath(cacheDir, url);
      return mutex.run(dir, async () => {
        await ensureClone(url, dir);
        const clone = cachedClone(url, dir);
        await clone.clean();
        await clone.fetch();
        return fn(clone);
      });
    },
  };
}
