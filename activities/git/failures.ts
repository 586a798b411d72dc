/**
 * The git activities' failures, each thrown as an ApplicationFailure whose `type` comes from the
 * shared FailureType table, so workflows can match on `err.cause.type`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../workflows/types.js';
import { UnsafeGitInputError } from '../../src/lib/git/validate.js';

type Details = Record<string, unknown>;

/** Thrown when a request or the target config names something unusable: nothing was changed. */
export const badInput = (message: string, details: Details = {}) =>
  ApplicationFailure.nonRetryable(message, FailureType.BadInput, details);

/** Thrown when no commit in the environment's history changed an image. */
export const noPromotion = (message: string, details: Details) =>
  ApplicationFailure.nonRetryable(message, FailureType.NoPromotion, details);

/** Thrown when the revert does not apply cleanly; nothing was pushed. */
export const revertConflict = (message: string, details: Details) =>
  ApplicationFailure.nonRetryable(message, FailureType.RevertConflict, details);

/** Thrown when the branch already holds the state before the commit; nothing was pushed. */
export const revertNotNeeded = (message: string, details: Details) =>
  ApplicationFailure.nonRetryable(message, FailureType.RevertNotNeeded, details);

/** Thrown after repeated non-fast-forward rejections; retryable, so Temporal's retry policy takes over. */
export const pushRejected = (message: string, details: Details) =>
  ApplicationFailure.retryable(message, FailureType.PushRejected, details);

/**
 * Thrown when the remote refuses a push for a reason retrying cannot fix (a pre-receive hook,
 * branch protection, permissions); not retryable, so a person looks at git's message.
 */
export const pushRefused = (message: string, details: Details) =>
  ApplicationFailure.nonRetryable(message, FailureType.PushRejected, details);

/** What to add to a refused push to the configured branch: the setting for a branch that only takes PRs. */
export const prModeHint = (repo: string) =>
  `\nIf ${repo}'s branch only takes pull requests, set repos.${repo}.pullRequests in rewind.yaml: rewind then ` +
  'opens a PR with the plan and continues when it is merged.';

/** Runs `fn`, turning unsafe config or request values into BadInput. */
export async function refusingUnsafeInput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnsafeGitInputError) throw badInput(err.message, { field: err.field });
    throw err;
  }
}
