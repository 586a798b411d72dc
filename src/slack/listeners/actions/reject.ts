/** The Reject button: ends the run before any change, if the workflow accepts the decision. */
import { decide } from '../../../runs.js';
import type { ListenerDeps } from '../deps.js';
import { runButton } from './run-action.js';

export const rejectAction = (deps: ListenerDeps) => runButton(deps, 'rejecting the run', async (d, workflowId, by) => {
  await decide(d.rewind, workflowId, { decision: 'reject', by });
  return `:x: You rejected \`${workflowId}\`; nothing will be changed.`;
});
