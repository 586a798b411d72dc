/**
 * Where a run's commit goes when its repository's branch only takes pull requests: a branch of the
 * run's own, named for it, so a retried or restarted activity finds what an earlier attempt pushed.
 */
import type { ReadView } from './read-view.js';
import { resolveCommit } from './git-read.js';
import { commitsForRun } from './revert-message.js';
import { assertBranchName } from './validate.js';

/** `rewind/<app>/<env>/<run id>` for a run key `rewind/<app>/<env>/<run id>`; other keys get the prefix. */
export function runBranch(runKey: string): string {
  const branch = runKey.startsWith('rewind/') ? runKey : `rewind/${runKey}`;
  assertBranchName(branch);
  return branch;
}

/** This run's commits on its own branch that `base` lacks, newest first; none when the branch does not exist. */
export async function mineOnRunBranch(view: ReadView, branch: string, base: string, runKey: string): Promise<string[]> {
  const tip = await resolveCommit(view.git, view.branchRef(branch));
  return tip ? commitsForRun(view.git, `${base}..${tip}`, runKey, 50) : [];
}
