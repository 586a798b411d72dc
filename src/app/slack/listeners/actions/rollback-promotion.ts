/**
 * The Roll back button of the promotion watch's message: starts the rollback of the promotion
 * that failed its verification, with the plan filled in (the promotion as `--to`) and the
 * watch's verdict as the run's trigger (its first failed verification becomes the incident's
 * detection). The clicker must be an owner, as for /rollback: src/lib/runs.ts checks, and the
 * workflow checks again. A verdict the watch dropped (a newer promotion came) is refused.
 */
import { RefusedError, startRun } from '../../../../lib/runs.js';
import { promotionsQuery } from '../../../../../workflows/watch/messages.js';
import {
  parseRollbackButtonValue,
  type PromotionVerification,
} from '../../../../../workflows/watch/promotion-types.js';
import { watchWorkflowId } from '../../../../../workflows/watch/types.js';
import type { PromotionTrigger } from '../../../../../workflows/verification/types.js';
import { degradedText } from '../../../../lib/slack-messages/promotion-message.js';
import { runLink } from '../../../../lib/slack-messages/run-message.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';
import type { ButtonArgs } from './run-action.js';

/** The watch's record of that promotion's verification, when the watch still has it. */
async function verdictOf(
  deps: ListenerDeps,
  app: string,
  env: string,
  promotion: string,
): Promise<PromotionVerification | undefined> {
  const state = await deps.rewind.client.workflow
    .getHandle(watchWorkflowId(app, env))
    .query(promotionsQuery)
    .catch(() => undefined);
  return state?.verifications.filter((v) => v.change?.sha === promotion).at(-1);
}

export const rollbackPromotionAction =
  (deps: ListenerDeps) =>
  async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const parsed = action.type === 'button' && action.value ? parseRollbackButtonValue(action.value) : undefined;
    if (!parsed) {
      await safeRespond(
        deps,
        respond,
        ephemeral(':no_entry: This button names no promotion; use the message of a failed verification.'),
      );
      return;
    }
    const who = slackIdentity(deps.rewind.cfg, body.user?.id);
    if (!who.ok) {
      await safeRespond(deps, respond, ephemeral(`:no_entry: ${who.error}`));
      return;
    }
    const { app, env, promotion } = parsed;
    let workflowId: string | undefined;
    try {
      const v = await verdictOf(deps, app, env, promotion);
      if (v?.state === 'superseded')
        throw new RefusedError(
          `The verdict on ${promotion.slice(0, 7)} was dropped: ${v.message}. ` +
            `Roll back with /rollback ${app} ${env} if it is still needed.`,
          'busy',
        );
      const trigger: PromotionTrigger | undefined =
        v?.state === 'failed' && v.detectedAt
          ? {
              promotion,
              ...(v.change?.subject ? { subject: v.change.subject } : {}),
              syncedAt: v.syncedAt,
              detectedAt: v.detectedAt,
              failed: v.verdicts.filter((x) => !x.passed).map((x) => ({ name: x.name, message: x.message, at: x.at })),
            }
          : undefined;
      const reason = v
        ? degradedText({ app, env }, v)
        : `rolled back from the promotion watch's message: ${promotion.slice(0, 7)} failed its verification`;
      const started = await startRun(deps.rewind, {
        runbook: 'rollback',
        app,
        env,
        requester: who.person,
        via: 'slack',
        source: 'slack',
        commit: promotion,
        reason: reason.slice(0, 480),
        ...(trigger ? { trigger } : {}),
      });
      workflowId = started.workflowId;
      const link = runLink(started.target, started.workflowId);
      await safeRespond(
        deps,
        respond,
        ephemeral(
          `:rewind: Started run \`${started.workflowId}\` to roll back ` +
            `\`${promotion.slice(0, 7)}\` of *${app}/${env}*. The plan will appear ` +
            `in ${started.target.channel ? `<#${started.target.channel}>` : 'no channel'}` +
            `${link ? `; <${link}|in Temporal>` : ''}.`,
        ),
      );
    } catch (err) {
      await replyWithError(deps, respond, err, 'starting the rollback', workflowId);
    }
  };
