/** Messages of drill runs. Abort stops the drill at once; its cleanup still runs. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Scorecard } from './types.js';

export const scorecardQuery = defineQuery<Scorecard>('scorecard');
export const abortSignal = defineSignal<[{ by: string }]>('abort');
