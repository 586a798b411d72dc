/**
 * Small read-only git queries shared by the git activities. Every revision argument is a validated
 * sha or a ref rewind built itself; repository paths go after `--` with `:(literal)` magic, because
 * file names come from repository content and a name like `:(exclude)x` would otherwise be a pattern.
 */
import type { SimpleGit } from 'simple-git';

export const literal = (repoPath: string): string => `:(literal)${repoPath}`;

/** Full sha of a commit, or undefined when `rev` names no commit. */
export async function resolveCommit(git: SimpleGit, rev: string): Promise<string | undefined> {
  const out = await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]).catch(() => '');
  const sha = out.trim();
  return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

/**
 * Whether `ancestor` is reachable from `of`. Not `merge-base --is-ancestor`: it answers with an
 * exit code and no output, and simple-git resolves a failing command that printed nothing, so
 * "no" would read as "yes". The merge base of the two is `ancestor` exactly when it is one.
 */
export async function isAncestor(git: SimpleGit, ancestor: string, of: string): Promise<boolean> {
  const [a, b] = [await resolveCommit(git, ancestor), await resolveCommit(git, of)];
  if (!a || !b) return false;
  try {
    return (await git.raw(['merge-base', a, b])).trim() === a;
  } catch {
    return false;
  }
}

export interface CommitInfo { sha: string; parents: string[]; subject: string; author: string; date: string }

export async function commitInfo(git: SimpleGit, sha: string): Promise<CommitInfo> {
  const out = await git.raw(['show', '-s', '--format=%H%x1f%P%x1f%an <%ae>%x1f%aI%x1f%s', sha]);
  const [full = '', parents = '', author = '', date = '', subject = ''] = out.replace(/\n$/, '').split('\x1f');
  return { sha: full, parents: parents.split(' ').filter(Boolean), subject, author, date };
}

/** Files a commit changed relative to its first parent. */
export async function changedFiles(git: SimpleGit, sha: string, paths: readonly string[] = []): Promise<string[]> {
  const out = await git.raw(['diff-tree', '--no-commit-id', '--name-only', '-r', sha, '--', ...paths.map(literal)]);
  return out.split('\n').filter(Boolean);
}

/** `git cat-file -t rev:path`, or 'missing'. */
export async function pathType(git: SimpleGit, rev: string, repoPath: string): Promise<'tree' | 'blob' | 'missing'> {
  const t = (await git.raw(['cat-file', '-t', `${rev}:${repoPath}`]).catch(() => '')).trim();
  return t === 'tree' || t === 'blob' ? t : 'missing';
}

/** Object id of `rev:path`, or '-' when absent; equal ids mean equal content. */
export async function pathObject(git: SimpleGit, rev: string, repoPath: string): Promise<string> {
  const out = await git.raw(['rev-parse', '--verify', '--quiet', `${rev}:${repoPath}`]).catch(() => '');
  return out.trim() || '-';
}
