/**
 * Small read-only git queries shared by the git activities. Every revision argument is a validated
 * sha or a ref rewind built itself; repository paths go after `--` with `:(literal)` magic, because
 * file names come from repository content and a name like `:(exclude)x` would otherwise be a pattern.
 */
import type { Git } from './run-git.js';
import { isFullSha } from './sha.js';

export const literal = (repoPath: string): string => `:(literal)${repoPath}`;

/** Full sha of a commit, or undefined when `rev` names no commit (as `rev-parse --verify <rev>^{commit}`). */
export async function resolveCommit(git: Git, rev: string): Promise<string | undefined> {
  const o = await git.object(`${rev}^{commit}`).catch(() => undefined);
  return o?.type === 'commit' && isFullSha(o.oid) ? o.oid : undefined;
}

/**
 * Whether `ancestor` is reachable from `of`: `merge-base --is-ancestor`, which answers by exit
 * code (0 yes, 1 no). A name that is not a full sha is resolved first; one that names no commit,
 * or any other failure, answers no.
 */
export async function isAncestor(git: Git, ancestor: string, of: string): Promise<boolean> {
  const full = (rev: string) => (isFullSha(rev) ? rev : resolveCommit(git, rev));
  const [a, b] = [await full(ancestor), await full(of)];
  if (!a || !b) return false;
  try {
    await git.raw(['merge-base', '--is-ancestor', a, b]);
    return true;
  } catch {
    return false;
  }
}

export interface CommitInfo {
  sha: string;
  parents: string[];
  subject: string;
  author: string;
  date: string;
  /** The commit's `Rollback-Contract:` trailer values, as written (see src/lib/git/promotion-risks.ts). */
  rollbackContract?: string[];
}

export async function commitInfo(git: Git, sha: string): Promise<CommitInfo> {
  const out = await git.raw(['show', '-s', `--format=${INFO_FORMAT}`, sha]);
  return parseInfo(out.replace(/\n$/, ''));
}

// The subject comes last: it is the one field a person writes freely.
const INFO_FORMAT = '%H%x1f%P%x1f%an <%ae>%x1f%aI%x1f%(trailers:key=Rollback-Contract,valueonly,separator=%x1d)%x1f%s';
const parseInfo = (line: string): CommitInfo => {
  const [full = '', parents = '', author = '', date = '', contract = '', ...subject] = line.split('\x1f');
  const rollbackContract = contract
    .split('\x1d')
    .map((v) => v.trim())
    .filter(Boolean);
  return {
    sha: full,
    parents: parents.split(' ').filter(Boolean),
    subject: subject.join('\x1f'),
    author,
    date,
    ...(rollbackContract.length ? { rollbackContract } : {}),
  };
};

/** commitInfo and changedFiles in one `git diff-tree`. */
export async function commitChanges(
  git: Git,
  sha: string,
  paths: readonly string[] = [],
): Promise<{ info: CommitInfo; files: string[] }> {
  const out = await git.raw([
    'diff-tree',
    '--always',
    '--name-only',
    '-r',
    `--format=${INFO_FORMAT}%x1e`,
    sha,
    '--',
    ...paths.map(literal),
  ]);
  const end = out.indexOf('\x1e');
  return {
    info: parseInfo(out.slice(0, end)),
    files: out
      .slice(end + 1)
      .split('\n')
      .filter(Boolean),
  };
}

/** Files a commit changed relative to its first parent. */
export async function changedFiles(git: Git, sha: string, paths: readonly string[] = []): Promise<string[]> {
  const out = await git.raw(['diff-tree', '--no-commit-id', '--name-only', '-r', sha, '--', ...paths.map(literal)]);
  return out.split('\n').filter(Boolean);
}

/** `git cat-file -t rev:path`, or 'missing'. */
export async function pathType(git: Git, rev: string, repoPath: string): Promise<'tree' | 'blob' | 'missing'> {
  const t = (await git.object(`${rev}:${repoPath}`).catch(() => undefined))?.type;
  return t === 'tree' || t === 'blob' ? t : 'missing';
}

/** Object id of `rev:path`, or '-' when absent; equal ids mean equal content. */
export async function pathObject(git: Git, rev: string, repoPath: string): Promise<string> {
  return (await git.object(`${rev}:${repoPath}`).catch(() => undefined))?.oid ?? '-';
}

/**
 * Text of the file `rev:path` (`git show rev:path`), or undefined when there is none. A directory
 * reads as '' (no file content).
 */
export async function fileText(git: Git, rev: string, repoPath: string): Promise<string | undefined> {
  const o = await git.object(`${rev}:${repoPath}`, true).catch(() => undefined);
  if (!o) return undefined;
  return o.type === 'blob' ? (o.content ?? Buffer.alloc(0)).toString('utf8') : '';
}
