/**
 * Activity proxies with the timeouts and retries each kind of side effect needs.
 * Workflows know activities only as a type (a value import would pull Node code into the bundle).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { FailureType } from './types.js';

const nonRetryableErrorTypes = [FailureType.BadInput, FailureType.NoPromotion, FailureType.RevertConflict, FailureType.RevertNotNeeded, FailureType.UnknownApp, FailureType.NotAuthorized];

/** Reads and plans: quick, safe to retry. */
export const readActs = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** Git writes: idempotent by the run's trailer, so a retry after a lost response reuses the pushed commit. */
export const gitActs = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 8, nonRetryableErrorTypes },
});

/** Long waits on the engine and workloads: heartbeating watches, resumed after a worker restart. */
export const waitActs = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes },
});

/** Slack: best effort for progress messages; a Slack outage must never stop a rollback. */
export const notifyActs = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
});
