/**
 * Checks for everything that reaches git from outside rewind (config, Slack, CLI). Values that pass
 * are safe as positional arguments; paths still go after `--`.
 */
import path from 'node:path';

/** Thrown when a value from config or a request cannot be given to git safely. */
export class UnsafeGitInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeGitInputError';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A branch name git would accept, that cannot be read as an option or a revision range. */
export function assertBranchName(branch: string): void {
  const ok =
    /^[A-Za-z0-9._/-]+$/.test(branch) &&
    !branch.startsWith('-') &&
    !branch.startsWith('/') &&
    !branch.endsWith('/') &&
    !branch.endsWith('.lock') &&
    !branch.includes('..') &&
    !branch.includes('//');
  if (!ok)
    throw new UnsafeGitInputError(
      'repo.branch',
      `branch "${branch}" is not a plain branch name (letters, digits, . _ / -)`,
    );
}

/** Clone URLs come from rewind.yaml; refuse anything git could read as an option. */
export function assertCloneUrl(url: string): void {
  if (url === '' || url.startsWith('-') || CONTROL.test(url)) {
    throw new UnsafeGitInputError(
      'repo.url',
      `repository URL "${url}" must be non-empty, must not start with "-" and must not contain control characters`,
    );
  }
}

/** A directory inside the repository, normalized to forward slashes without a trailing slash. */
export function normalizeRepoPath(field: string, rel: string): string {
  const posix = rel.replace(/\\/g, '/');
  const norm = path.posix.normalize(posix).replace(/\/+$/, '');
  if (
    posix === '' ||
    posix.startsWith('/') ||
    posix.startsWith('-') ||
    posix.startsWith(':') ||
    CONTROL.test(posix) ||
    norm === '.' ||
    norm === '..' ||
    norm.startsWith('../') ||
    norm.split('/')[0] === '.git'
  ) {
    throw new UnsafeGitInputError(
      field,
      `path "${rel}" must be a directory relative to the repository root, inside it`,
    );
  }
  return norm;
}

/** Author names and emails become `Name <email>`; angle brackets or newlines would forge another identity. */
export function formatIdent(field: string, who: { name: string; email: string }): string {
  const bad = (s: string) => s.trim() === '' || /[<>]/.test(s) || CONTROL.test(s);
  if (bad(who.name) || bad(who.email) || !who.email.includes('@')) {
    throw new UnsafeGitInputError(
      field,
      `"${who.name} <${who.email}>" is not a usable git identity (name and email without < > or line breaks)`,
    );
  }
  return `${who.name.trim()} <${who.email.trim()}>`;
}

/** A single-line value for a commit trailer. */
export function assertTrailerValue(field: string, value: string): void {
  if (value.trim() === '' || CONTROL.test(value)) {
    throw new UnsafeGitInputError(field, `${field} "${value}" must be a non-empty single line`);
  }
}
