/**
 * Failure types: the `type` of the ApplicationFailures that rewind's activities and steps throw.
 * Temporal's retry policy matches them by type (workflows/activities.ts lists the ones never
 * retried), and so does any code that must tell failures apart: never by message.
 * Pure constants only: bundled into the workflow sandbox.
 */
export const FailureType = {
  /**
   * A value the person or rewind.yaml supplied cannot be used as given: a malformed object
   * reference, a path outside the repo, a field Git does not define. The message says what to
   * write instead. Not retried.
   */
  BadInput: 'BadInput',
  /** No promotion commit for the target in the config repo's history (or `--to` names none). Not retried. */
  NoPromotion: 'NoPromotion',
  /** `git revert` of the promotion conflicts with later commits; nothing was pushed. Not retried. */
  RevertConflict: 'RevertConflict',
  /**
   * The branch already holds the state from before the promotion (someone reverted it): nothing to
   * revert, nothing pushed. Not retried.
   */
  RevertNotNeeded: 'RevertNotNeeded',
  /**
   * The engine has a sync in flight, or has not fetched the commit rewind pushed, so acting now
   * would race it. Retried until the step's deadline; not when a sync kept going after a pause
   * (rewind put auto-sync back as it was and changed nothing).
   */
  EngineBusy: 'EngineBusy',
  /**
   * The cluster refused rewind's credentials or RBAC refused the request; the message names the
   * verb, resource and fix. Not retried.
   */
  NotAuthorized: 'NotAuthorized',
  /**
   * The promotion declares its rollback contract `impossible` (a one-way migration, a changed data
   * format): rewind will not revert it and says how to roll forward. Nothing was changed. Not retried.
   */
  RollbackImpossible: 'RollbackImpossible',
  /**
   * An image the revert would bring back is no longer in its registry (deleted, or removed by a
   * retention policy): its pods could never start. Nothing was changed. Not retried.
   */
  ImageGone: 'ImageGone',
  /** Verification failed after the change: the run ends not-restored (rollback) or holds the pause (emergency). */
  HealthNotRestored: 'HealthNotRestored',
  /**
   * The push was refused: after repeated non-fast-forward rejections (retried), or by a hook,
   * branch protection or permissions (not retried: a person reads git's message).
   */
  PushRejected: 'PushRejected',
  /**
   * The run's pull request was closed without merging, or not merged in time (repos.<name>.pullRequests):
   * nothing reached the branch. Not retried.
   */
  PullRequestNotMerged: 'PullRequestNotMerged',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
