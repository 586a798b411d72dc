/**
 * The Reject button: ends the run before any change, if the workflow accepts the decision; bound to
 * the run the message shows, as Approve is.
 */
import { decide } from '../../../../lib/runs.js';
import { decisionOutcome } from '../../../../lib/decision-outcome.js';
import type { ListenerDeps } from '../deps.js';
import { runButton } from './run-action.js';

export const rejectAction = (deps: ListenerDeps) =>
  runButton(deps, 'rejecting the run', async (d, workflowId, by, runId) => {
    const status = await decide(d.rewind, workflowId, {
      decision: 'reject',
      by,
      via: 'slack',
      ...(runId ? { runId } : {}),
    });
    return `:x: ${decisionOutcome(status, 'reject', by.handle)}`;
  });
