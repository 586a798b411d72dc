/**
 * The worker's read-only copy of each config repo, as Argo's repo-server and Flux's
 * source-controller keep one: a `git clone --mirror` that is fetched, never re-cloned, plus one
 * extracted tree per commit (immutable, so cached for the life of the work dir). Drift reports,
 * live checks, the watch and the plan's history questions all read from it; only what rewind
 * writes goes through the writable clone (src/lib/git/cached-clone.ts).
 *
 * Reads run side by side: git's read commands are safe beside a fetch, and a tree is extracted once
 * however many runs ask for it. Fetches are shared: a caller joins the next fetch that starts after
 * it asked, so it sees every commit pushed before it asked, and 200 runs starting at once cost a
 * few fetches, not 200. Refs and SHAs are validated before they reach git, and git runs without a
 * shell (src/lib/git/run-git.ts).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ReadView } from '../git/read-view.js';
import { OWNER, sweepLeftovers } from '../git/leftovers.js';
import { gitAt, type Git } from '../git/run-git.js';
import { isFullSha, isShaPrefix } from '../git/sha.js';
import { assertCloneUrl } from '../git/validate.js';

const run = promisify(execFile);

const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Thrown when a ref cannot be resolved or a revision cannot be read; carries the repo and the ref. */
export class GitSourceError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly ref?: string,
  ) {
    super(message);
    this.name = 'GitSourceError';
  }
}

export class GitSource {
  /** The mirror made (or found) on disk; set once, by the first fetch. */
  private mirror?: Promise<void>;
  /** The fetch running now, and the one queued behind it that new callers join. */
  private running?: Promise<void>;
  private queued?: Promise<void>;
  /** Trees being extracted or extracted, by full sha, least recently used first. */
  private readonly trees = new Map<string, Promise<string>>();
  /** Uses in progress (withTree) per tree: a tree in use is never pruned. */
  private readonly inUse = new Map<string, number>();
  /** Pruned trees whose directory is still being removed: asked again, they wait and are extracted anew. */
  private readonly removing = new Map<string, Promise<void>>();
  private readonly git: Git;

  /**
   * `workDir` holds the mirror (`git/<hash>.git`) and the trees (`trees/<hash>/<sha>`). Each commit
   * a plan renders is one tree (a rollback search renders up to one per candidate), so the trees
   * this process extracted are bounded: beyond `maxTrees` the least recently used one not in use
   * is removed.
   */
  constructor(
    readonly url: string,
    readonly workDir: string,
    readonly maxTrees = 128,
  ) {
    this.git = gitAt(this.mirrorDir);
  }

  private get id(): string {
    return createHash('sha256').update(this.url).digest('hex').slice(0, 16);
  }
  /** Where the mirror lives. */
  get mirrorDir(): string {
    return path.join(this.workDir, 'git', `${this.id}.git`);
  }
  /** Where the extracted trees live (one directory per commit). */
  get treesDir(): string {
    return path.join(this.workDir, 'trees', this.id);
  }

  /** Where the dry runs' throwaway checkouts live. */
  get scratchDir(): string {
    return path.join(this.workDir, 'scratch', this.id);
  }

  /** Removes what a killed process left half-made here: a mirror clone, trees, scratch checkouts. */
  private async sweep(): Promise<void> {
    await Promise.all([path.dirname(this.mirrorDir), this.treesDir, this.scratchDir].map(sweepLeftovers));
  }

  /** Fetches the remote (cloning the mirror on first use); joins a fetch that has not started yet. */
  fetch(): Promise<void> {
    if (this.queued) return this.queued;
    const before = this.running ?? Promise.resolve();
    const next: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.running = next;
        return this.fetchNow();
      })
      .finally(() => {
        if (this.running === next) this.running = undefined;
      });
    this.queued = next;
    return next;
  }

  private async fetchNow(): Promise<void> {
    try {
      if (await this.ensureMirror()) return;
      await this.git.raw(['fetch', '--prune', '--prune-tags', 'origin']);
    } catch (err) {
      throw new GitSourceError(`fetching ${this.url} failed: ${(err as Error).message}`, this.url);
    }
  }

  /** Clones the mirror unless one is on disk; true when it cloned just now (so it is fresh). */
  private async ensureMirror(): Promise<boolean> {
    let cloned = false;
    this.mirror ??= (async () => {
      await this.sweep();
      if (await stat(path.join(this.mirrorDir, 'HEAD')).catch(() => undefined)) return;
      assertCloneUrl(this.url);
      const parent = path.dirname(this.mirrorDir);
      await mkdir(parent, { recursive: true });
      // Clone beside and rename, so a crash never leaves a partial mirror under the final name.
      const tmp = `${this.mirrorDir}.tmp-${OWNER}-${randomBytes(4).toString('hex')}`;
      try {
        await gitAt(parent).raw(['clone', '--mirror', '--', this.url, tmp]);
        await rm(this.mirrorDir, { recursive: true, force: true });
        await rename(tmp, this.mirrorDir);
        cloned = true;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    })();
    const made = this.mirror;
    await made.catch((err: unknown) => {
      if (this.mirror === made) this.mirror = undefined; // the next fetch tries again
      throw err;
    });
    return cloned;
  }

  /** A fetched mirror for reading; reads of a commit already here need no fetch. */
  private async ready(): Promise<void> {
    if (!this.mirror) await this.fetch();
    else await this.mirror;
  }

  /**
   * Fetches, then resolves `ref` to a full commit sha: `HEAD` (or empty) is the remote's default
   * branch, then branch, tag, full ref name, or a (possibly abbreviated) commit sha.
   */
  async resolve(ref: string): Promise<string> {
    await this.fetch();
    return this.resolveLocal(ref);
  }

  private async resolveLocal(ref: string): Promise<string> {
    const wanted = ref.trim() === '' ? 'HEAD' : ref.trim();
    if (!REF.test(wanted) || wanted.includes('..'))
      throw new GitSourceError(`invalid revision ${JSON.stringify(ref)}`, this.url, ref);
    const candidates =
      wanted === 'HEAD'
        ? ['HEAD']
        : [
            ...(isShaPrefix(wanted) ? [wanted] : []),
            `refs/heads/${wanted}`,
            `refs/tags/${wanted}`,
            ...(wanted.startsWith('refs/') ? [wanted] : []),
          ];
    for (const c of candidates) {
      const sha = (await this.git.raw(['rev-parse', '--verify', '--quiet', `${c}^{commit}`]).catch(() => '')).trim();
      if (isFullSha(sha)) return sha;
    }
    throw new GitSourceError(`revision ${wanted} not found in ${this.url}`, this.url, ref);
  }

  /**
   * A directory holding the tree of commit `sha` (extracted once, then reused). It may be pruned
   * once `maxTrees` newer trees were used: a caller that reads it for a while uses withTree.
   */
  async checkout(sha: string): Promise<string> {
    return (await this.tree(sha)).dir;
  }

  /** Runs `fn` on the tree of commit `sha`, which is not pruned while `fn` runs; `fn` must not write to it. */
  async withTree<T>(sha: string, fn: (dir: string) => Promise<T>): Promise<T> {
    const { full, dir } = await this.tree(sha, true);
    try {
      return await fn(dir);
    } finally {
      const n = (this.inUse.get(full) ?? 1) - 1;
      if (n > 0) this.inUse.set(full, n);
      else this.inUse.delete(full);
      await this.prune();
    }
  }

  private async tree(sha: string, use = false): Promise<{ full: string; dir: string }> {
    if (!isShaPrefix(sha)) throw new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha);
    await this.ready();
    const full = await this.resolveLocal(sha);
    // Taken before the await, so a prune while it is extracted or awaited leaves it alone.
    if (use) this.inUse.set(full, (this.inUse.get(full) ?? 0) + 1);
    let tree = this.trees.get(full);
    if (tree)
      this.trees.delete(full); // re-inserted below: most recently used
    else {
      tree = this.extract(full);
      tree.catch(() => this.trees.delete(full));
    }
    this.trees.set(full, tree);
    try {
      const dir = await tree;
      if (!use) await this.prune();
      return { full, dir };
    } catch (err) {
      if (use) this.inUse.set(full, (this.inUse.get(full) ?? 1) - 1);
      throw err;
    }
  }

  /** Removes the least recently used trees not in use while there are more than maxTrees. */
  private async prune(): Promise<void> {
    const excess = this.trees.size - this.maxTrees;
    if (excess <= 0) return;
    const victims = [...this.trees.keys()].filter((sha) => !this.inUse.get(sha)).slice(0, excess);
    await Promise.all(
      victims.map((sha) => {
        this.trees.delete(sha);
        const removed = rm(path.join(this.treesDir, sha), { recursive: true, force: true }).finally(() => {
          if (this.removing.get(sha) === removed) this.removing.delete(sha);
        });
        this.removing.set(sha, removed);
        return removed;
      }),
    );
  }

  private async extract(full: string): Promise<string> {
    const dir = path.join(this.treesDir, full);
    // A directory still being pruned would pass the check below and then vanish under the reader.
    await this.removing.get(full)?.catch(() => undefined);
    if (await stat(dir).catch(() => undefined)) return dir;
    // Extract beside, then rename: a crash never leaves a half-written tree under the final name.
    const tmp = `${dir}.tmp-${OWNER}-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    try {
      const tar = `${tmp}.tar`;
      await this.git.raw(['archive', '--format=tar', `--output=${tar}`, full]);
      await run('tar', ['-x', '-f', tar, '-C', tmp]);
      await rm(tar, { force: true });
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw new GitSourceError(`reading ${full} of ${this.url} failed: ${(err as Error).message}`, this.url, full);
    }
    return dir;
  }

  /** The first parent of commit `sha`, or undefined for a root commit (no fetch: `sha` is already here). */
  async firstParent(sha: string): Promise<string | undefined> {
    if (!isShaPrefix(sha)) throw new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha);
    await this.ready();
    const out = await this.git.raw(['rev-parse', '--verify', '--quiet', `${sha}^1^{commit}`]).catch(() => '');
    return isFullSha(out.trim()) ? out.trim() : undefined;
  }

  /** Commit subject and author time, for messages and history (`git log -1`). */
  async commitInfo(sha: string): Promise<{ subject: string; author: string; date: string }> {
    if (!isShaPrefix(sha)) throw new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha);
    await this.ready();
    const out = await this.git.raw(['log', '-1', '--format=%s%x00%an <%ae>%x00%aI', sha, '--']);
    const [subject = '', author = '', date = ''] = out.trim().split('\0');
    return { subject, author, date };
  }

  /**
   * Runs `fn` in a throwaway checkout of commit `sha`, for a dry run such as checking that a revert
   * applies; removed afterwards. Each call has its own, so the dry runs of many runs go side by
   * side; nothing there is ever committed or pushed. It is a `clone --shared` of the mirror (it
   * borrows the mirror's objects, so it costs a checkout), not a worktree of it: the mirror's fetch
   * checks every worktree's HEAD, and one being created made fetches fail ("bad object").
   */
  async scratch<T>(sha: string, fn: (git: Git) => Promise<T>): Promise<T> {
    if (!isFullSha(sha)) throw new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha);
    await this.ready();
    const root = this.scratchDir;
    await mkdir(root, { recursive: true });
    const dir = await mkdtemp(path.join(root, `wt-${OWNER}-`));
    const wt = gitAt(dir);
    try {
      await gitAt(root).raw(['clone', '--quiet', '--shared', '--no-checkout', '--no-tags', '--', this.mirrorDir, dir]);
      await wt.raw(['checkout', '--quiet', '--detach', sha]);
      return await fn(wt);
    } finally {
      wt.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Fetches once (shared with every caller waiting now), then runs `fn` on a read view of the
   * mirror: its own git (its object reader ends with `fn`), branches under refs/heads, and trees
   * from the per-commit cache.
   */
  async read<T>(fn: (view: ReadView) => Promise<T>): Promise<T> {
    assertCloneUrl(this.url); // refused as the unsafe input it is, not as a failed fetch
    await this.fetch();
    const git = gitAt(this.mirrorDir);
    try {
      return await fn({
        url: this.url,
        git,
        branchRef: (branch) => `refs/heads/${branch}`,
        withTree: (sha, use) => this.withTree(sha, use),
      });
    } finally {
      git.close();
    }
  }
}

/** One GitSource per URL under one work dir. */
export class GitSourceCache {
  private readonly sources = new Map<string, GitSource>();
  constructor(readonly workDir: string) {}

  get(url: string): GitSource {
    let s = this.sources.get(url);
    if (!s) {
      s = new GitSource(url, this.workDir);
      this.sources.set(url, s);
    }
    return s;
  }
}
