/**
 * What the promotion watch keeps per target: the revision the engine last synced, and the
 * verification of each promotion that synced since (newest last, the last 20), with its verdict
 * and what rewind did about it. Pure types: bundled into the workflow sandbox, read by Slack.
 */
import type { CheckVerdict } from '../verification/types.js';

/** How one synced revision's verification went. */
export type VerificationState =
  /** Reading what the sync brought (which commit, a revert or a promotion). */
  | 'classifying'
  /** Waiting for the rollout, then running the environment's checks. */
  | 'verifying'
  | 'verified'
  | 'failed'
  /** A newer sync or a newer commit to the environment came first: this verdict is dropped. */
  | 'superseded'
  /** Not a promotion (a revert, rewind's own commit, another app's change): not verified. */
  | 'skipped'
  /** The watch could not finish it (it says why). */
  | 'error';

/** What rewind did about a failed verification. */
export type VerdictAction =
  /** autoRollback started the rollback run. */
  | { kind: 'auto-rollback'; workflowId: string; at: string }
  /** autoRollback would have, but another run or a drill holds the target. */
  | { kind: 'held'; why: string }
  /** autoRollback would have, but the target's cooldown since the last automatic rollback has not passed. */
  | { kind: 'cooldown'; until: string; last: string }
  /** Posted with a Roll back button for an owner to click. */
  | { kind: 'offered' };

export interface PromotionVerification {
  /** The revision the engine synced (full sha). */
  revision: string;
  /** When the watch saw the engine synced at it. */
  syncedAt: string;
  state: VerificationState;
  /** What the sync brought: the commit verified, and what it is. */
  change?: {
    kind: 'promotion' | 'revert' | 'rewind' | 'unrelated' | 'unknown';
    sha?: string;
    subject?: string;
    author?: string;
    alsoSynced?: number;
    note?: string;
  };
  verdicts: CheckVerdict[];
  /** The first failed verification (ISO): the incident's detection. */
  detectedAt?: string;
  /** One line: what failed, what was dropped and why, or what passed. */
  message?: string;
  action?: VerdictAction;
  /** The Slack message that reported it. */
  slackMessage?: { channel: string; ts: string };
  endedAt?: string;
}

export interface PromotionWatchState {
  /** The revision the engine last finished syncing, as the watch saw it. */
  syncedRevision?: string;
  verifications: PromotionVerification[];
  /** The last run autoRollback started for this target: the cooldown counts from it. */
  lastAutoRollback?: { at: string; promotion: string; workflowId: string };
}

export const MAX_VERIFICATIONS = 20;

/** The Roll back button of a failed promotion: the watch that judged it and the promotion (full sha). */
export const rollbackButtonValue = (watchWorkflowId: string, promotion: string): string =>
  `${watchWorkflowId}#${promotion}`;

export function parseRollbackButtonValue(value: string): { app: string; env: string; promotion: string } | undefined {
  const m = /^rewind-watch\/([a-z0-9-]+)\/([a-z0-9-]+)#([0-9a-f]{40})$/.exec(value);
  return m ? { app: m[1]!, env: m[2]!, promotion: m[3]! } : undefined;
}
