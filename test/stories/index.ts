/** Every incident story, in the order the runner tells them (each starts from a reset world, so any order works). */
import { story as driftDbHost } from './drift-db-host.story.js';
import { story as hotfixImageOverwritten } from './hotfix-image-overwritten.story.js';
import { story as hpaOwnedReplicas } from './hpa-owned-replicas.story.js';
import { story as imageAndConfigInOneCommit } from './image-and-config-in-one-commit.story.js';
import { story as oneWayMigration } from './one-way-migration.story.js';
import { story as revertConflicts } from './revert-conflicts.story.js';
import { story as secretOverwrittenBeforePromotion } from './secret-overwritten-before-promotion.story.js';
import { story as secretRotatedByHand } from './secret-rotated-by-hand.story.js';
import { story as slowRolloutRecovers } from './slow-rollout-recovers.story.js';
import { story as stuckUntilRestart } from './stuck-until-restart.story.js';
import type { Story } from './story.js';

export const STORIES: readonly Story[] = [
  driftDbHost,
  imageAndConfigInOneCommit,
  hpaOwnedReplicas,
  slowRolloutRecovers,
  stuckUntilRestart,
  secretRotatedByHand,
  hotfixImageOverwritten,
  revertConflicts,
  secretOverwrittenBeforePromotion,
  oneWayMigration,
];
