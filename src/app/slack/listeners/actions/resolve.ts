/** The Resolve button of a held run: rewind checks that Git holds the live change, then resumes. */
import { settleHold } from '../../../../lib/runs.js';
import type { ListenerDeps } from '../deps.js';
import { holdReplyText } from '../hold-reply.js';
import { runButton } from './run-action.js';

export const resolveAction = (deps: ListenerDeps) =>
  runButton(deps, 'resolving the held run', async (d, workflowId, by) =>
    holdReplyText(
      await settleHold(d.rewind, workflowId, by, { action: 'resolve', via: 'slack' }, 'resolved from Slack'),
      workflowId,
    ),
  );
