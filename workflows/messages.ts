/** Signals, queries and updates of runbook runs, defined once for workflows, Slack and the CLI. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Decision, PersonRef, RunStatus, TimelineEvent } from './types.js';

export const statusQuery = defineQuery<RunStatus>('status');
export const timelineQuery = defineQuery<TimelineEvent[]>('timeline');

/** Update, not signal: the approver learns at once whether the decision was accepted (validator) or why not. */
export const decisionUpdate = defineUpdate<RunStatus, [Decision]>('decide');

export const cancelSignal = defineSignal<[{ by: PersonRef; reason?: string }]>('cancel');
