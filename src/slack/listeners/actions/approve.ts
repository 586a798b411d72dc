/** The Approve button: an approval through the workflow's decision update, which says why not. */
import { decide } from '../../../runs.js';
import type { ListenerDeps } from '../deps.js';
import { runButton } from './run-action.js';

export const approveAction = (deps: ListenerDeps) => runButton(deps, 'approving the run', async (d, workflowId, by) => {
  await decide(d.rewind, workflowId, { decision: 'approve', by });
  return `:white_check_mark: You approved \`${workflowId}\`; the run message shows its progress.`;
});
