/** The Cancel button: a cancel signal, after src/lib/runs.ts checked the clicker may cancel this app's runs. */
import { cancelRun } from '../../../../lib/runs.js';
import type { ListenerDeps } from '../deps.js';
import { runButton } from './run-action.js';

export const cancelAction = (deps: ListenerDeps) =>
  runButton(deps, 'cancelling the run', async (d, workflowId, by) => {
    await cancelRun(d.rewind, workflowId, by, 'cancelled from Slack', 'slack');
    return `:octagonal_sign: Cancel requested for \`${workflowId}\`; the run message will show where it stopped.`;
  });
