/**
 * The shape shared by the run buttons: ack at once, read the workflow id (and, on Approve and
 * Reject, the run id) from the button's value and the clicker from body.user, then let
 * src/lib/runs.ts decide. Refusals (own run, not an approver,
 * run already over) come back ephemerally to the clicker only; the channel message is the
 * workflow's to update.
 */
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { runStatus } from '../../../../lib/runs.js';
import { parseRunButtonValue } from '../../../../lib/slack-messages/run-message.js';
import type { PersonRef } from '../../../../../workflows/types.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';

export type ButtonArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;

/**
 * Performs the action for `by` on run `workflowId` (the run `runId` when the button names it) and
 * returns the confirmation to show.
 */
export type RunAction = (deps: ListenerDeps, workflowId: string, by: PersonRef, runId?: string) => Promise<string>;

export function runButton(deps: ListenerDeps, what: string, act: RunAction) {
  return async function onClick({ ack, action, body, respond }: ButtonArgs): Promise<void> {
    await ack();
    const { workflowId, runId } =
      action.type === 'button' && action.value
        ? parseRunButtonValue(action.value)
        : { workflowId: undefined, runId: undefined };
    if (!workflowId) {
      await safeRespond(
        deps,
        respond,
        ephemeral(':no_entry: This button carries no run id; use the message of a current run.'),
      );
      return;
    }
    const who = slackIdentity(deps.rewind.cfg, body.user?.id);
    if (!who.ok) {
      await safeRespond(deps, respond, ephemeral(`:no_entry: ${who.error}`));
      return;
    }
    try {
      // Every run of this app/env shares the workflow id. A click on an older run's message must not
      // act on the run that holds the id now, unseen: the message it was on, and the run id the
      // button carries (Approve, Reject; the workflow's validator checks it again), must be the current run's.
      const clickedTs = typeof body.container?.message_ts === 'string' ? body.container.message_ts : undefined;
      if (clickedTs || runId) {
        const current = await runStatus(deps.rewind, workflowId);
        if (
          (clickedTs && current.slackMessage && current.slackMessage.ts !== clickedTs) ||
          (runId && current.runId && current.runId !== runId)
        ) {
          await safeRespond(
            deps,
            respond,
            ephemeral(
              `:no_entry: This message belongs to an earlier run of ${current.app}/${current.env}. The ` +
                `current run (requested by ${current.requester}: ${current.reason}) has its own message` +
                `${current.slackMessage?.channel ? ` in <#${current.slackMessage.channel}>` : ''}; use its buttons.`,
            ),
          );
          return;
        }
      }
      const confirmation = await act(deps, workflowId, who.person, runId);
      await safeRespond(deps, respond, ephemeral(confirmation));
    } catch (err) {
      await replyWithError(deps, respond, err, what, workflowId);
    }
  };
}
