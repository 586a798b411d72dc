/** Signals, queries and updates of runbook runs, defined once for workflows, Slack and the CLI. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Decision, PersonRef, RunStatus, TimelineEvent } from './types.js';

export const statusQuery = defineQuery<RunStatus>('status');
export const timelineQuery = defineQuery<TimelineEvent[]>('timeline');

/** Update, not signal: the approver learns at once whether the decision was accepted (validator) or why not. */
export const decisionUpdate = defineUpdate<RunStatus, [Decision]>('decide');

export const cancelSignal = defineSignal<[{ by: PersonRef; reason?: string }]>('cancel');

/** Emergency path, held pause: the fix reached Git some other way; rewind verifies drift is empty, then resumes. */
export const resolveUpdate = defineUpdate<RunStatus, [{ by: PersonRef; comment?: string }]>('resolve');
/** Emergency path, held pause: resume auto-sync and let Git win over the live change (explicit confirmation). */
export const abandonUpdate = defineUpdate<RunStatus, [{ by: PersonRef; confirm: boolean; comment?: string }]>('abandon');
