/**
 * The promotion watch's Slack message: a promotion that synced and failed its verification,
 * e.g. "users-api/prod degraded after promotion 3f2a9c1 (error rate 4.2% > 1% for 2m)", what
 * rewind did about it (rolling back by the autoRollback policy, or why not), and a Roll back
 * button that starts the rollback with that promotion as `--to`, for an owner to click.
 */
import { rollbackButtonValue, type PromotionVerification } from '../../../workflows/watch/promotion-types.js';
import { watchWorkflowId } from '../../../workflows/watch/types.js';
import type { TargetSnapshot } from '../../../workflows/types.js';
import { runLink } from './run-message.js';

/** The Roll back button of a promotion-watch message. */
export const ROLLBACK_PROMOTION_ACTION = 'rewind_rollback_promotion';

type Block = { type: string } & Record<string, unknown>;

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const section = (t: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: t.slice(0, 2900) } });

/** "users-api/staging degraded after promotion 3f2a9c1 (error rate 4.2% > 1% for 10s)". */
export function degradedText(target: Pick<TargetSnapshot, 'app' | 'env'>, v: PromotionVerification): string {
  const failed = v.verdicts
    .filter((x) => !x.passed)
    .map((x) => x.message)
    .join('; ');
  return (
    `${target.app}/${target.env} degraded after promotion ` +
    `${(v.change?.sha ?? v.revision).slice(0, 7)} (${failed || v.message || 'verification failed'})`
  );
}

export function promotionVerdictMessage(
  v: PromotionVerification,
  target: TargetSnapshot,
  holder?: string,
): { text: string; blocks: Block[] } {
  const text = degradedText(target, v);
  const c = v.change;
  const blocks: Block[] = [section(`:rotating_light: *${esc(text)}*`)];
  blocks.push(
    section(
      [
        c?.subject
          ? `Promotion \`${(c.sha ?? '').slice(0, 7)}\` ` +
            `"${esc(c.subject)}"${c.author ? ` by ${esc(c.author)}` : ''}` +
            `${
              c.alsoSynced ? ` (synced together with ${c.alsoSynced} earlier change${c.alsoSynced > 1 ? 's' : ''})` : ''
            }`
          : '',
        `Synced ${v.syncedAt}; first failed verification ${v.detectedAt ?? '?'}.`,
        ...v.verdicts.map((x) => `${x.passed ? '✅' : '❌'} ${esc(x.message)}`),
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  );
  const a = v.action;
  const sha = (c?.sha ?? v.revision).slice(0, 7);
  if (a?.kind === 'auto-rollback') {
    const link = runLink(target, a.workflowId);
    blocks.push(
      section(
        `:rewind: *Rolling back automatically* (autoRollback policy of ${target.app}/${target.env}, committed in ` +
          `rewind.yaml): run \`${a.workflowId}\`${link ? ` <${link}|in Temporal>` : ''}. Its own message follows.`,
      ),
    );
  } else {
    if (a?.kind === 'held') blocks.push(section(`:no_entry: Not rolled back automatically: ${esc(a.why)}`));
    else if (a?.kind === 'cooldown')
      blocks.push(
        section(
          `:hourglass: Not rolled back automatically: the autoRollback cooldown ` +
            `of ${target.app}/${target.env} runs until ${a.until} (last automatic rollback ${a.last}).`,
        ),
      );
    else if (holder) blocks.push(section(`:no_entry: ${esc(holder)} The button works once it has ended.`));
    blocks.push(
      section(
        `An owner (${target.owners.map((o) => o.handle).join(', ')}) can roll back \`${sha}\`: the plan is filled ` +
          `in with it, and ${target.approval.required ? 'it still needs approval' : 'no approval is required here'}. ` +
          `CLI: \`rewind rollback ${target.app} --env ${target.env} --to ${sha}\``,
      ),
    );
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ROLLBACK_PROMOTION_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Roll back' },
          value: rollbackButtonValue(watchWorkflowId(target.app, target.env), c?.sha ?? v.revision),
          confirm: {
            title: { type: 'plain_text', text: `Roll back ${sha}?` },
            text: {
              type: 'mrkdwn',
              text: `rewind plans a revert of \`${sha}\` in *${target.app}/${target.env}* and posts the plan.`,
            },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Not now' },
          },
        },
      ],
    });
  }
  return { text, blocks };
}
