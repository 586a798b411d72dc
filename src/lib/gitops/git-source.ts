/**
 * A cached Git source per repository URL, like Argo's repo-server and Flux's source-controller
 * keep one: a `git clone --mirror` that is fetched, never re-cloned, plus one extracted tree per
 * commit (immutable, so cached for the life of the work dir). Refs and SHAs are validated before
 * they reach git, and git runs without a shell.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { simpleGit, type SimpleGit } from 'simple-git';
import { isFullSha, isShaPrefix } from '../git/sha.js';

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
  private queue: Promise<unknown> = Promise.resolve();
  private cloned = false;

  /** `workDir` holds the mirror (`git/<hash>.git`) and the trees (`trees/<hash>/<sha>`). */
  constructor(
    readonly url: string,
    readonly workDir: string,
  ) {}

  private get id(): string {
    return createHash('sha256').update(this.url).digest('hex').slice(0, 16);
  }
  private get mirrorDir(): string {
    return path.join(this.workDir, 'git', `${this.id}.git`);
  }
  private get treesDir(): string {
    return path.join(this.workDir, 'trees', this.id);
  }
  private git(): SimpleGit {
    return simpleGit({ baseDir: this.mirrorDir });
  }

  /** Runs git operations of one source one at a time (a fetch must not race an archive). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Fetches the remote (cloning the mirror on first use). */
  fetch(): Promise<void> {
    return this.serial(() => this.fetchNow());
  }

  private async fetchNow(): Promise<void> {
    try {
      if (!this.cloned && !(await stat(path.join(this.mirrorDir, 'HEAD')).catch(() => undefined))) {
        await mkdir(path.dirname(this.mirrorDir), { recursive: true });
        await rm(this.mirrorDir, { recursive: true, force: true });
        await simpleGit().clone(this.url, this.mirrorDir, ['--mirror']);
      } else {
        await this.git().fetch(['--prune', '--prune-tags', 'origin']);
      }
      this.cloned = true;
    } catch (err) {
      throw new GitSourceError(`fetching ${this.url} failed: ${(err as Error).message}`, this.url);
    }
  }

  /**
   * Fetches, then resolves `ref` to a full commit sha: `HEAD` (or empty) is the remote's default
   * branch, then branch, tag, full ref name, or a (possibly abbreviated) commit sha.
   */
  resolve(ref: string): Promise<string> {
    return this.serial(async () => {
      await this.fetchNow();
      return this.resolveLocal(ref);
    });
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
      const sha = (
        await this.git()
          .raw(['rev-parse', '--verify', '--quiet', `${c}^{commit}`])
          .catch(() => '')
      ).trim();
      if (isFullSha(sha)) return sha;
    }
    throw new GitSourceError(`revision ${wanted} not found in ${this.url}`, this.url, ref);
  }

  /** A directory holding the tree of commit `sha` (extracted once, then reused). */
  checkout(sha: string): Promise<string> {
    if (!isShaPrefix(sha))
      return Promise.reject(new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha));
    return this.serial(async () => {
      if (!this.cloned) await this.fetchNow();
      const full = await this.resolveLocal(sha);
      const dir = path.join(this.treesDir, full);
      if (await stat(dir).catch(() => undefined)) return dir;
      // Extract beside, then rename: a crash never leaves a half-written tree under the final name.
      const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
      await mkdir(tmp, { recursive: true });
      try {
        const tar = `${tmp}.tar`;
        await this.git().raw(['archive', '--format=tar', `--output=${tar}`, full]);
        await run('tar', ['-x', '-f', tar, '-C', tmp]);
        await rm(tar, { force: true });
        await rename(tmp, dir);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw new GitSourceError(`reading ${full} of ${this.url} failed: ${(err as Error).message}`, this.url, sha);
      }
      return dir;
    });
  }

  /** The first parent of commit `sha`, or undefined for a root commit (no fetch: `sha` is already here). */
  firstParent(sha: string): Promise<string | undefined> {
    if (!isShaPrefix(sha))
      return Promise.reject(new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha));
    return this.serial(async () => {
      if (!this.cloned) await this.fetchNow();
      const out = await this.git()
        .raw(['rev-parse', '--verify', '--quiet', `${sha}^1^{commit}`])
        .catch(() => '');
      return isFullSha(out.trim()) ? out.trim() : undefined;
    });
  }

  /** Commit subject and author time, for messages and history (`git log -1`). */
  commitInfo(sha: string): Promise<{ subject: string; author: string; date: string }> {
    if (!isShaPrefix(sha))
      return Promise.reject(new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`, this.url, sha));
    return this.serial(async () => {
      const out = await this.git().raw(['log', '-1', '--format=%s%x00%an <%ae>%x00%aI', sha, '--']);
      const [subject = '', author = '', date = ''] = out.trim().split('\0');
      return { subject, author, date };
    });
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
