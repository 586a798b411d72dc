/** Signals, queries and updates of runbook runs, defined once for workflows, Slack and the CLI. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Decision, IdentityProof, PersonRef, RunStatus, TimelineEvent } from './types.js';

export const statusQuery = defineQuery<RunStatus>('status');
export const timelineQuery = defineQuery<TimelineEvent[]>('timeline');

/** Update, not signal: the approver learns at once whether the decision was accepted (validator) or why not. */
export const decisionUpdate = defineUpdate<RunStatus, [Decision]>('decide');

/**
 * Update, not signal: its validator checks the person against the run's snapshot (an owner or
 * approver, a run that is not over or held), and the caller learns at once whether it was accepted.
 */
export const cancelUpdate = defineUpdate<RunStatus, [{ by: PersonRef; reason?: string; via?: IdentityProof }]>(
  'cancel',
);

/** Emergency path, held pause: the fix reached Git some other way; rewind verifies drift is empty, then resumes. */
export const resolveUpdate = defineUpdate<RunStatus, [{ by: PersonRef; comment?: string; via?: IdentityProof }]>(
  'resolve',
);
/** Emergency path, held pause: resume auto-sync and let Git win over the live change (explicit confirmation). */
export const abandonUpdate = defineUpdate<
  RunStatus,
  [{ by: PersonRef; confirm: boolean; comment?: string; via?: IdentityProof }]
>('abandon');
