/**
 * The Abandon button of a held run. The button carries Slack's confirm dialog, and Slack sends
 * the click only after the person confirmed it there: that is the explicit confirmation.
 */
import { settleHold } from '../../../../lib/runs.js';
import type { ListenerDeps } from '../deps.js';
import { holdReplyText } from '../hold-reply.js';
import { runButton } from './run-action.js';

export const abandonAction = (deps: ListenerDeps) =>
  runButton(deps, 'abandoning the held run', async (d, workflowId, by) =>
    holdReplyText(
      await settleHold(
        d.rewind,
        workflowId,
        by,
        { action: 'abandon', confirm: true, via: 'slack' },
        'abandoned from Slack (confirmed in the dialog)',
      ),
      workflowId,
    ),
  );
