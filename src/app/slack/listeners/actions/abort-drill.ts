/**
 * The Abort button of a "drill started" message: its value is the drill name. The clicker must
 * be allowed to act on that drill (src/lib/drills/operations.ts); the abort signal goes to
 * the drill of that name running now, whose cleanup still runs.
 */
import { abortDrill, authorizeDrill } from '../../../../lib/drills/operations.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';
import type { ButtonArgs } from './run-action.js';

export const ABORT_DRILL_ACTION = 'rewind_abort_drill';

export function abortDrillAction(deps: ListenerDeps) {
  return async function onClick({ ack, action, body, respond }: ButtonArgs): Promise<void> {
    await ack();
    const name = action.type === 'button' ? action.value : undefined;
    if (!name) {
      await safeRespond(
        deps,
        respond,
        ephemeral(':no_entry: This button carries no drill name; use `/gameday abort <drill>`.'),
      );
      return;
    }
    const who = slackIdentity(deps.rewind.cfg, body.user?.id);
    if (!who.ok) {
      await safeRespond(deps, respond, ephemeral(`:no_entry: ${who.error}`));
      return;
    }
    try {
      authorizeDrill(deps.rewind.cfg, name, who.person, 'abort');
      const { workflowId } = await abortDrill(deps.rewind, name, who.person);
      await safeRespond(deps, respond, ephemeral(abortedText(name, workflowId)));
    } catch (err) {
      await replyWithError(deps, respond, err, 'aborting the drill');
    }
  };
}

export const abortedText = (name: string, workflowId: string): string =>
  `:octagonal_sign: Abort requested for drill *${name}* (\`${workflowId}\`). Its ` +
  `cleanup runs, then the scorecard (outcome aborted) is posted to the drill's channel.`;
