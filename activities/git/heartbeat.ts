import { Context } from '@temporalio/activity';

/**
 * Heartbeats when running as a Temporal activity, and does nothing otherwise, so the git
 * activities also run from plain tests and scripts without a MockActivityEnvironment.
 */
export function heartbeat(details: unknown): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return; // not inside an activity
  }
  context.heartbeat(details);
}
