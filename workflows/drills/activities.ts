/** Activity proxies for drills: the same activities as runs, plus the fault injections. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { FailureType } from '../types.js';

const nonRetryableErrorTypes = [FailureType.BadInput, FailureType.NoPromotion, FailureType.RevertConflict, FailureType.RevertNotNeeded];

export const drillActs = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 5, nonRetryableErrorTypes },
});

export const drillWaits = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes },
});
