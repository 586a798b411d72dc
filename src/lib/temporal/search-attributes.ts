/**
 * Search attributes rewind sets on every run, so `rewind status` and drills can find the
 * runs of one app and environment through visibility. A production namespace needs them
 * registered once: `temporal operator search-attribute create --name RewindApp --type Keyword` (and the others).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RewindApp = defineSearchAttributeKey('RewindApp', SearchAttributeType.KEYWORD);
export const RewindEnv = defineSearchAttributeKey('RewindEnv', SearchAttributeType.KEYWORD);
export const RewindRunbook = defineSearchAttributeKey('RewindRunbook', SearchAttributeType.KEYWORD);
export const RewindIncident = defineSearchAttributeKey('RewindIncident', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [RewindApp, RewindEnv, RewindRunbook, RewindIncident] as const;
