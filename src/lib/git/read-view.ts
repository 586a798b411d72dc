/**
 * What a read-only question about a config repo needs: git for the read commands, the name of a
 * branch's ref, and a commit's files on disk. The worker's mirror (src/lib/gitops/git-source.ts)
 * answers plan questions this way without taking the writable clone's lock, so 200 runs planning
 * at once do not queue behind each other; the writable clone (cached-clone.ts) offers the same
 * view, so code that reads before it writes is written once.
 */
import type { Git } from './run-git.js';

export interface ReadView {
  readonly url: string;
  /** For read-only commands (log, show, rev-parse, cat-file, ls-tree, merge-base) only. */
  readonly git: Git;
  /** The ref that holds the remote's `branch` in this repository (`refs/heads/…` or `refs/remotes/origin/…`). */
  branchRef(branch: string): string;
  /** Runs `fn` on a directory holding commit `sha`'s files; `fn` must not write to it. */
  withTree<T>(sha: string, fn: (dir: string) => Promise<T>): Promise<T>;
}
