/**
 * The git activities: find and describe the promotion to roll back, and revert it as the
 * requester; for the emergency path, plan and commit a live change into Git. Questions that only
 * read history go to the worker's mirror of the repo (src/lib/gitops/git-source.ts), side by side;
 * what writes (the revert, the emergency commit and its plan, which edits files) takes
 * the one writable clone per repository URL (src/lib/git/cached-clone.ts), made from the mirror (the
 * host is cloned once per worker) and fetched from the host before each write.
 */
import path from 'node:path';
import { createCloneStore, type GitIdentity } from '../../src/lib/git/cached-clone.js';
import { isAncestor } from '../../src/lib/git/git-read.js';
import { isFullSha } from '../../src/lib/git/sha.js';
import { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { createCommitFile } from './commit-file.js';
import { createCommitLiveChange, createPlanGitEdits, type LiveChangeOptions } from './commit-live-change.js';
import { createFindPromotion, type FindPromotionOptions } from './find-promotion.js';
import { createCheckRevert, createRevertPromotion, type RevertPromotionOptions } from './revert-promotion.js';
import { createClassifySync } from './classify-sync.js';

export type { CommitFileInput, CommitFileResult } from './commit-file.js';
export type { FindPromotionInput } from './find-promotion.js';
export type { RevertPromotionInput, RevertPromotionResult } from './revert-promotion.js';
export type {
  CommitLiveChangeInput,
  CommitLiveChangeResult,
  PlanGitEditsInput,
  PlanGitEditsResult,
} from './commit-live-change.js';

export interface GitActivityDeps {
  /** Where the writable clones and temporary worktrees live. */
  cacheDir: string;
  /**
   * The worker's mirrors, shared with the drift, live and watch activities. @default mirrors under `<cacheDir>/sources`
   */
  sources?: GitSourceCache;
  /** Committer of rewind's commits (the author is the requester). @default rewind <rewind@localhost> */
  committer?: GitIdentity;
  find?: FindPromotionOptions;
  revert?: RevertPromotionOptions;
  liveChange?: LiveChangeOptions;
}

export function createGitActivities(deps: GitActivityDeps) {
  const sources = deps.sources ?? new GitSourceCache(path.join(deps.cacheDir, 'sources'));
  const store = createCloneStore({
    cacheDir: deps.cacheDir,
    ...(deps.committer ? { committer: deps.committer } : {}),
    mirror: (url) => sources.get(url),
  });
  return {
    findPromotion: createFindPromotion(sources, deps.find),
    revertPromotion: createRevertPromotion(store, deps.revert),
    checkRevert: createCheckRevert(sources),
    planGitEdits: createPlanGitEdits(store, deps.liveChange),
    commitLiveChange: createCommitLiveChange(store, deps.liveChange),
    commitFile: createCommitFile(store),
    ...createClassifySync(sources),
    /**
     * Whether `descendant` contains `ancestor` on the remote: a foreign commit pushed after the
     * revert still carries it.
     */
    async commitContains({
      repoUrl,
      ancestor,
      descendant,
    }: {
      repoUrl: string;
      ancestor: string;
      descendant: string;
    }): Promise<boolean> {
      if (!isFullSha(ancestor) || !isFullSha(descendant)) return false;
      return sources.get(repoUrl).read((mirror) => isAncestor(mirror.git, ancestor, descendant));
    },
  };
}

export type GitActivities = ReturnType<typeof createGitActivities>;
