/**
 * The Approve button: an approval through the workflow's decision update, which says why not. It
 * is bound to the run whose plan the message shows (the run id in the button), and the clicker is
 * proven by Slack's request signature.
 */
import { decide } from '../../../../lib/runs.js';
import { decisionOutcome } from '../../../../lib/decision-outcome.js';
import type { ListenerDeps } from '../deps.js';
import { runButton } from './run-action.js';

export const approveAction = (deps: ListenerDeps) =>
  runButton(deps, 'approving the run', async (d, workflowId, by, runId) => {
    const status = await decide(d.rewind, workflowId, {
      decision: 'approve',
      by,
      via: 'slack',
      ...(runId ? { runId } : {}),
    });
    return `:white_check_mark: ${decisionOutcome(status, 'approve', by.handle)} The run message shows its progress.`;
  });
