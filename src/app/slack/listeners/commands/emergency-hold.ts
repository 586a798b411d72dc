/**
 * `/emergency resolve|abandon <app> [env]`: the held run of that target is asked to check Git
 * and resume (resolve), or to resume and let Git win (abandon; the parser already required
 * --confirm). The answer waits for what the run made of the request.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { RefusedError, settleHold, targetSnapshot, type Rewind } from '../../../../lib/runs.js';
import { runWorkflowId, type TargetSnapshot } from '../../../../../workflows/types.js';
import type { EmergencyCommand } from '../../parse-emergency.js';
import type { ListenerDeps } from '../deps.js';
import { holdReplyText } from '../hold-reply.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

export async function holdCommand(
  deps: ListenerDeps,
  req: Extract<EmergencyCommand, { kind: 'resolve' | 'abandon' }>,
  { ack, command, respond }: Args,
): Promise<void> {
  const rw: Rewind = deps.rewind;
  const who = slackIdentity(rw.cfg, command.user_id);
  if (!who.ok) {
    await ack(ephemeral(`:no_entry: ${who.error}`));
    return;
  }
  let target: TargetSnapshot;
  try {
    target = targetSnapshot(rw.cfg, req.app, req.env);
  } catch (err) {
    await ack(
      ephemeral(
        `:no_entry: ${err instanceof RefusedError ? err.message : 'that app or environment cannot be resolved'}`,
      ),
    );
    return;
  }
  const workflowId = runWorkflowId(target.app, target.env);
  await ack(
    ephemeral(
      req.kind === 'resolve'
        ? `:hourglass_flowing_sand: Checking that Git holds the live ` +
            `change of *${target.app}/${target.env}*, then resuming auto-sync…`
        : `:hourglass_flowing_sand: Abandoning the live change of ` +
            `*${target.app}/${target.env}*: resuming auto-sync, Git wins…`,
    ),
  );
  try {
    const outcome = await settleHold(
      rw,
      workflowId,
      who.person,
      req.kind === 'resolve' ? { action: 'resolve', via: 'slack' } : { action: 'abandon', confirm: true, via: 'slack' },
      req.comment,
    );
    await safeRespond(deps, respond, ephemeral(holdReplyText(outcome, workflowId)));
  } catch (err) {
    await replyWithError(
      deps,
      respond,
      err,
      req.kind === 'resolve' ? 'resolving the held run' : 'abandoning the held run',
      workflowId,
    );
  }
}
