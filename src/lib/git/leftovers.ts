/**
 * Temporary directories of the git layers (a mirror or clone being made, a tree being extracted, a
 * scratch checkout, a worktree) carry the name of the process that made them, so the next process
 * can remove what a killed one left behind. A killed worker's `finally` never runs; without this
 * its scratch checkouts stay on the worker's disk for good.
 *
 * The owner is the pid plus a random token: in a container the restarted worker often has the
 * same pid as the one that died (pid 1), and the token tells them apart.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const TOKEN = randomBytes(3).toString('hex');

/** This process's mark, put into every temporary name: `<pid>.<token>`. */
export const OWNER = `${process.pid}.${TOKEN}`;

/** `tmp-<pid>.<token>-` (after a dot, as in `x.git.tmp-…`) or `wt-<pid>.<token>-` at the start. */
const OWNED = /(?:^|\.)(?:tmp|wt)-(\d+)\.([0-9a-f]{6})-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** True when `name` was made by a process that is gone (or by an earlier process with this pid). */
export function isLeftover(name: string): boolean {
  const m = OWNED.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return m[2] !== TOKEN;
  return !alive(pid);
}

const swept = new Map<string, Promise<string[]>>();

/** Removes the leftovers directly in `dir`, once per directory per process; resolves the names removed. */
export function sweepLeftovers(dir: string): Promise<string[]> {
  let done = swept.get(dir);
  if (!done) {
    done = (async () => {
      const names = await readdir(dir).catch(() => [] as string[]);
      const gone = names.filter(isLeftover);
      await Promise.all(gone.map((n) => rm(path.join(dir, n), { recursive: true, force: true })));
      return gone;
    })();
    swept.set(dir, done);
  }
  return done;
}
