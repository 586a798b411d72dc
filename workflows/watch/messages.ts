/**
 * Queries of the per-target watch (targetWatchWorkflow), defined once for the workflow,
 * src/lib/watch/ and the activities.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TargetSnapshot } from '../types.js';
import type { Journal } from './types.js';
import type { PromotionWatchState } from './promotion-types.js';

/** What the watch has seen: live edits and sync overwrites, newest last. */
export const journalQuery = defineQuery<Journal>('journal');

/** The promotion watch: the revision the engine last synced, and each promotion's verification and verdict. */
export const promotionsQuery = defineQuery<PromotionWatchState>('promotions');

/** The target snapshot the watch runs with, so a changed rewind.yaml can be told from an unchanged one. */
export const watchedTargetQuery = defineQuery<TargetSnapshot>('watchedTarget');

/**
 * rewind.yaml changed where the target lives (cluster, engine, namespace): the watch starts over
 * there, keeping its journal.
 */
export const retargetSignal = defineSignal<[TargetSnapshot]>('retarget');
