/**
 * Pushing HEAD to a branch, with git's answer sorted into what the caller does next:
 * - `non-fast-forward`: someone pushed first; refetch, rebuild on the new tip, push again;
 * - `refused`: the remote will not take it whatever we do (a pre-receive hook, branch protection,
 *   missing permission); retrying cannot help, a person must look;
 * - anything else (network, timeouts) is thrown, for the activity's retry policy.
 * Git's messages can carry the remote URL, and an HTTPS URL can carry a token: redact first.
 */
import type { Git } from './run-git.js';

export type PushOutcome =
  | { kind: 'pushed' }
  | { kind: 'non-fast-forward'; message: string }
  | { kind: 'refused'; message: string };

const NON_FAST_FORWARD = /non-fast-forward|fetch first|\[rejected\]|failed to update ref|cannot lock ref/i;
const REFUSED =
  /remote rejected|hook declined|permission|denied|forbidden|\b403\b|authentication failed|could not read username|protected branch|not allowed/i;
/** A remote-side race (two pushes updating the ref at once) is reported as "remote rejected" too. */
const REMOTE_RACE = /cannot lock ref|failed to update ref|incorrect old value/i;

/** Removes credentials from URLs (`https://user:token@host` → `https://***@host`) and bare tokens in headers. */
export function redactCredentials(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@'"]*@/gi, '$1***@')
    .replace(/(authorization:\s*(?:basic|bearer)\s+)\S+/gi, '$1***');
}

/** The lines of a push failure a person needs: the remote's own messages and the refusal line. */
export function pushMessage(err: unknown): string {
  const text = redactCredentials(String(err instanceof Error ? err.message : err));
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /^remote:|^ ?! |\[remote rejected\]|\[rejected\]|^error:|^fatal:/.test(l.trim()) || /^ ?! /.test(l));
  const out = (lines.length > 0 ? lines : text.split('\n').filter(Boolean)).join('\n');
  return out.length > 2000 ? `${out.slice(0, 2000)}…` : out;
}

export function classifyPushError(err: unknown): Exclude<PushOutcome, { kind: 'pushed' }> | undefined {
  const text = String(err instanceof Error ? err.message : err);
  const remoteRejected = /remote rejected/i.test(text);
  if (remoteRejected ? REMOTE_RACE.test(text) : NON_FAST_FORWARD.test(text))
    return { kind: 'non-fast-forward', message: pushMessage(err) };
  if (REFUSED.test(text)) return { kind: 'refused', message: pushMessage(err) };
  return undefined;
}

/** `git push origin HEAD:refs/heads/<branch>`; throws (redacted) on errors that may be transient. */
export async function pushHead(git: Git, branch: string): Promise<PushOutcome> {
  try {
    await git.raw(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
    return { kind: 'pushed' };
  } catch (err) {
    const outcome = classifyPushError(err);
    if (outcome) return outcome;
    throw new Error(`git push to ${branch} failed: ${pushMessage(err)}`);
  }
}
