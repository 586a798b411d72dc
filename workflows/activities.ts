/**
 * Activity proxies with the timeouts and retries each kind of side effect needs. Runbook steps wait
 * for a cancelled activity to finish or acknowledge (WAIT_CANCELLATION_COMPLETED; the SDK's default
 * is TRY_CANCEL): a pause or a revert in flight when a person cancels must be known before the run
 * says what it changed.
 * Workflows know activities only as a type (a value import would pull Node code into the bundle).
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { FailureType } from './types.js';

const nonRetryableErrorTypes = [
  FailureType.BadInput,
  FailureType.NoPromotion,
  FailureType.RevertConflict,
  FailureType.RevertNotNeeded,
  FailureType.NotAuthorized,
];

/**
 * Reads and plans: quick, safe to retry. An outage costs its own length, not the run: attempts go on
 * every few seconds until the step's deadline (an API server restarting for 30 s during the plan
 * used to fail the run after 5 attempts). Refusals (bad input, RBAC, credentials) fail at once.
 */
export const readActs = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1s', maximumInterval: '5s', nonRetryableErrorTypes },
});

/** Git writes: idempotent by the run's trailer, so a retry after a lost response reuses the pushed commit. */
export const gitActs = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  scheduleToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', maximumInterval: '10s', nonRetryableErrorTypes },
});

/**
 * Long waits on the engine and workloads: heartbeating watches, resumed after a worker restart from
 * their heartbeat (the wait's own start, so its deadline is absolute across attempts). The
 * schedule-to-close bound is the last resort behind each wait's own deadline.
 */
export const waitActs = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  scheduleToCloseTimeout: '4 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', maximumInterval: '5s', nonRetryableErrorTypes },
});

/**
 * Slack: progress messages are sent beside the run (workflows/notify.ts), with short timeouts: a
 * Slack API that accepts connections but never answers costs one 10 s attempt, not the run's time.
 */
export const notifyActs = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 2 },
});

/** The pause guard: a watch of up to 6 h at a time, re-armed until the resume (held pauses can last weeks). */
export const guardActs = proxyActivities<Activities>({
  startToCloseTimeout: '7 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes },
});

/**
 * The postmortem commit at the end of a run: a git write like gitActs, but bounded tighter, since
 * the run waits for it before it closes and a repository that keeps refusing must not hold it long.
 */
export const postmortemActs = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', maximumInterval: '10s', nonRetryableErrorTypes },
});
