/**
 * The git activities: find and describe the promotion to roll back, and revert it as the
 * requester. One cached clone per repository URL is shared by both (see src/git/cached-clone.ts).
 */
import { createCloneStore, type GitIdentity } from '../../src/git/cached-clone.js';
import { createFindPromotion, type FindPromotionOptions } from './find-promotion.js';
import { createRevertPromotion, type RevertPromotionOptions } from './revert-promotion.js';

export type { FindPromotionInput } from './find-promotion.js';
export type { RevertPromotionInput, RevertPromotionResult } from './revert-promotion.js';

export interface GitActivityDeps {
  /** Where cached clones and temporary worktrees live. */
  cacheDir: string;
  /** Committer of rewind's commits (the author is the requester). @default rewind <rewind@localhost> */
  committer?: GitIdentity;
  find?: FindPromotionOptions;
  revert?: RevertPromotionOptions;
}

export function createGitActivities(deps: GitActivityDeps) {
  const store = createCloneStore({ cacheDir: deps.cacheDir, ...(deps.committer ? { committer: deps.committer } : {}) });
  return {
    findPromotion: createFindPromotion(store, deps.find),
    revertPromotion: createRevertPromotion(store, deps.revert),
  };
}

export type GitActivities = ReturnType<typeof createGitActivities>;
