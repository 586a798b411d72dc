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
import { createKeyedMutex } from './keyed-mutex.js';
import { OWNER, sweepLeftovers } from './leftovers.js';
import type { ReadView } from './read-view.js';
import { gitAt as gitIn, type Git } from './run-git.js';
import { isShaPrefix } from './sha.js';
import { assertCloneUrl, UnsafeGitInputError } from './validate.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** The local branch each commit rewind makes is built on (reset to the tip first); no other branch is touched. */
export const WORK_BRANCH = 'rewind-work';

/** @default { name: 'rewind', email: 'rewind@localhost' } */
export const DEFAULT_COMMITTER: GitIdentity = { name: 'rewind', email: 'rewind@localhost' };

export interface CloneStoreOptions {
  /** Root of rewind's cache; clones live in `<cacheDir>/repos/`, temporary worktrees in `<cacheDir>/worktrees/`. */
  cacheDir: string;
  /** Committer of every commit rewind makes; the author is set per commit. @default DEFAULT_COMMITTER */
  committer?: GitIdentity;
  /**
   * The worker's read-only mirror of a URL (src/lib/gitops/git-source.ts). Given, the writable clone
   * is made from it (a local clone that hard-links the mirror's objects), so the host is cloned once
   * per worker; the clone then fetches from and pushes to the host itself.
   */
  mirror?: (url: string) => Mirror;
}

/** What the writable clone needs of a mirror to be made from it: a fetch from the host, and where it is. */
export interface Mirror {
  /** Fetches the host into the mirror (cloning it first if needed); sees every commit pushed before the call. */
  fetch(): Promise<void>;
  readonly mirrorDir: string;
}

/** The writable clone; as a ReadView its branches are `refs/remotes/origin/…` and trees are worktrees. */
export interface CachedClone extends ReadView {
  /** The clone's work tree. */
  readonly dir: string;
  /** git bound to the clone (src/lib/git/run-git.ts), with the committer identity and safe defaults as `-c` config. */
  readonly git: Git;
  /** `git fetch --prune origin`. */
  fetch(): Promise<void>;
  /** Runs `fn` in a detached worktree checked out at `sha` (e.g. to render it), removed afterwards. */
  withWorktree<T>(sha: string, fn: (dir: string) => Promise<T>): Promise<T>;
  /** Throws away local changes and any interrupted revert/rebase: the clone holds nothing of value. */
  clean(): Promise<void>;
  /**
   * The caller vouches that work tree, index and HEAD agree and nothing is in progress, as right
   * after a `git commit` of everything `git revert --no-commit` staged: the next use skips clean().
   * Any later git command that can change them takes it back.
   */
  markClean(): void;
}

export interface CloneStore {
  /**
   * Exclusive use of the clone of `url` (process-wide: every store serializes uses of one
   * directory): cloned on first use, then fetched before `fn`, and cleaned first unless it is known
   * to be clean. It is known clean after clean() or markClean() until a git command through
   * `clone.git` that can change the work tree, the index or HEAD (anything but the read-only
   * commands, fetch and push); a clone first used by this process is never known clean, so what a
   * killed worker left behind is cleaned. Code that writes into `clone.dir` itself must run such a
   * command afterwards or throw, as the git activities do.
   */
  use<T>(url: string, fn: (clone: CachedClone) => Promise<T>, wait?: WaitOptions): Promise<T>;
}

/** How a caller queued behind other uses of the clone shows it is alive, and gives up. */
export interface WaitOptions {
  /**
   * Called every `everyMs` while the use waits its turn: an activity heartbeats here, or a queue of
   * 200 reverts outlasts its heartbeat timeout and each is retried while its first attempt still
   * waits in the queue.
   */
  whileWaiting?: () => void;
  /** @default 5000 */
  everyMs?: number;
  /** An aborted signal (the activity was cancelled or timed out) ends the wait before the turn comes. */
  signal?: AbortSignal;
}

/** Uses of one clone directory, serialized across every store in the process. */
const mutex = createKeyedMutex();
/** Clone directories known to be clean right now (see CloneStore.use). */
const knownClean = new Set<string>();
/** Commands that leave the work tree, the index and HEAD as they are. */
const KEEPS_WORK_TREE = new Set([
  'cat-file',
  'commit-graph',
  'config',
  'diff',
  'diff-tree',
  'fetch',
  'for-each-ref',
  'log',
  'ls-files',
  'ls-tree',
  'merge-base',
  'push',
  'rev-list',
  'rev-parse',
  'show',
  'status',
  'worktree',
]);

const BASE_CONFIG = [
  'commit.gpgsign=false',
  'core.autocrlf=false',
  'advice.detachedHead=false',
  'rebase.autoStash=false',
];

/** `<cacheDir>/repos/<first 16 hex of sha256(url)>`: stable per URL, and no URL text in a path. */
export function clonePath(cacheDir: string, url: string): string {
  return path.join(path.resolve(cacheDir), 'repos', createHash('sha256').update(url).digest('hex').slice(0, 16));
}

export function createCloneStore(options: CloneStoreOptions): CloneStore {
  const cacheDir = path.resolve(options.cacheDir);
  const committer = options.committer ?? DEFAULT_COMMITTER;
  const config = [...BASE_CONFIG, `user.name=${committer.name}`, `user.email=${committer.email}`];
  const gitAt = (baseDir: string): Git => gitIn(baseDir, { config });
  /** Clones this store has checked (or made) since it started: their origin is not asked again on every use. */
  const checked = new Map<string, string>();

  /**
   * A commit-graph file makes history walks (is this commit on the branch? which commits follow
   * it?) read commit headers from one table instead of inflating every commit: on a 50,000-commit
   * repo, `merge-base --is-ancestor` for a commit 20,000 back takes ~10 ms instead of ~90 ms. It is
   * a cache git keeps consistent by itself (commits fetched later are read the ordinary way until
   * git's automatic gc rewrites it); a failure to write it changes nothing but speed.
   */
  async function writeCommitGraph(dir: string): Promise<void> {
    const info = path.join(dir, '.git', 'objects', 'info');
    if (existsSync(path.join(info, 'commit-graph')) || existsSync(path.join(info, 'commit-graphs'))) return;
    await gitAt(dir)
      .raw(['commit-graph', 'write', '--reachable'])
      .catch(() => undefined);
  }

  /** Makes the clone unless it is on disk; true when it was made just now (so it needs no fetch). */
  async function ensureClone(url: string, dir: string, mirror: Mirror | undefined): Promise<boolean> {
    if (existsSync(path.join(dir, '.git'))) {
      if (checked.get(dir) === url) return false;
      const origin = await gitAt(dir)
        .raw(['config', '--get', 'remote.origin.url'])
        .catch(() => '');
      if (origin.trim() === url) {
        await writeCommitGraph(dir);
        checked.set(dir, url);
        return false;
      }
      // A half-made or foreign directory (crash during clone, hash collision): start over.
      await rm(dir, { recursive: true, force: true });
    }
    const reposDir = path.dirname(dir);
    await mkdir(reposDir, { recursive: true });
    // Clone beside the final path and rename, so a crash never leaves a partial clone in place.
    const tmp = `${dir}.tmp-${OWNER}-${randomBytes(4).toString('hex')}`;
    try {
      if (mirror) {
        // A local clone of the mirror hard-links its objects; origin then points at the host for pushes.
        await mirror.fetch();
        await gitAt(reposDir).raw(['clone', '--no-tags', '--', mirror.mirrorDir, tmp]);
        await gitAt(tmp).raw(['remote', 'set-url', 'origin', url]);
      } else await gitAt(reposDir).raw(['clone', '--no-tags', '--', url, tmp]);
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    await writeCommitGraph(dir);
    checked.set(dir, url);
    return true;
  }

  function cachedClone(url: string, dir: string): CachedClone {
    const bare = gitAt(dir);
    const git: Git = {
      dir,
      raw(args) {
        const command = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c');
        if (!KEEPS_WORK_TREE.has(command ?? '')) knownClean.delete(dir);
        return bare.raw(args);
      },
      object: (name, content) => bare.object(name, content),
      close: () => bare.close(),
    };
    const clone: CachedClone = {
      url,
      dir,
      git,
      branchRef: (branch) => `refs/remotes/origin/${branch}`,
      withTree: (sha, fn) => clone.withWorktree(sha, fn),
      markClean() {
        knownClean.add(dir);
      },
      async fetch() {
        // From the host, not through the mirror: a push must start from the host's tip, and one fetch
        // is what plain git pays (through the mirror it was two, +15-20 ms a revert: bench/big-repo-revert.ts).
        await git.raw(['fetch', '--prune', '--no-tags', 'origin']);
      },
      async clean() {
        // An abort runs only when its operation left state behind (the files git itself checks
        // before aborting); each still fails harmlessly when there is nothing to abort.
        const state = (...names: string[]) => names.some((n) => existsSync(path.join(dir, '.git', n)));
        if (state('REVERT_HEAD', 'sequencer')) await git.raw(['revert', '--abort']).catch(() => undefined);
        if (state('CHERRY_PICK_HEAD', 'sequencer')) await git.raw(['cherry-pick', '--abort']).catch(() => undefined);
        if (state('rebase-merge', 'rebase-apply')) await git.raw(['rebase', '--abort']).catch(() => undefined);
        await git.raw(['reset', '--hard', '--quiet']);
        await git.raw(['clean', '-ffdq']);
        // Prune reads .git/worktrees only: without it there is nothing to prune.
        if (state('worktrees')) await git.raw(['worktree', 'prune']);
        knownClean.add(dir);
      },
      async withWorktree(sha, fn) {
        if (!isShaPrefix(sha)) throw new UnsafeGitInputError('sha', `"${sha}" is not a commit sha`);
        const root = path.join(cacheDir, 'worktrees');
        await mkdir(root, { recursive: true });
        const wt = await mkdtemp(path.join(root, `wt-${OWNER}-`));
        try {
          await git.raw(['worktree', 'add', '--detach', '--quiet', wt, sha]);
          return await fn(wt);
        } finally {
          // A worktree left registered is the next clean()'s to prune.
          await git.raw(['worktree', 'remove', '--force', wt]).catch(() => knownClean.delete(dir));
          await rm(wt, { recursive: true, force: true });
          await git.raw(['worktree', 'prune']).catch(() => knownClean.delete(dir));
        }
      },
    };
    return clone;
  }

  return {
    use(url, fn, wait = {}) {
      assertCloneUrl(url);
      const dir = clonePath(cacheDir, url);
      const beat = wait.whileWaiting ? setInterval(wait.whileWaiting, wait.everyMs ?? 5000) : undefined;
      return mutex.run(dir, async () => {
        clearInterval(beat);
        wait.signal?.throwIfAborted();
        // What a killed process left half-made: a clone being made, worktrees it never removed.
        await Promise.all([path.dirname(dir), path.join(cacheDir, 'worktrees')].map(sweepLeftovers));
        const mirror = options.mirror?.(url);
        const fresh = await ensureClone(url, dir, mirror);
        const clone = cachedClone(url, dir);
        try {
          if (!knownClean.has(dir)) await clone.clean();
          if (!fresh) await clone.fetch();
          return await fn(clone);
        } finally {
          clone.git.close();
        }
      });
    },
  };
}
