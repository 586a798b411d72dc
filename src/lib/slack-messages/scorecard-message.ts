/** The Slack message of a drill scorecard: outcome, each check, times against targets. */
import type { Scorecard } from '../../../workflows/drills/types.js';

type Block = { type: string } & Record<string, unknown>;
const secs = (ms?: number) => (ms === undefined ? 'n/a' : `${Math.round(ms / 1000)}s`);
const ICON = {
  passed: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  aborted: ':octagonal_sign:',
} as const;

export function scorecardMessage(card: Scorecard): { text: string; blocks: Block[] } {
  const outcome = card.outcome ?? 'failed';
  const title =
    `Game day ${card.drill} (${card.kind}` +
    `${card.app ? ` on ${card.app}/${card.env}` : ''}): ${outcome.toUpperCase()}`;
  const lines = card.checks.map((c) => `${c.passed ? ':white_check_mark:' : ':x:'} ${c.name}: ${c.detail}`);
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: (
            `${ICON[outcome]} ${card.reason ?? ''}\nTime to detect: *${secs(card.timeToDetectMs)}* ` +
            `(target ${secs(card.targets.timeToDetectMs)}) · Time to restore: ` +
            `*${secs(card.timeToRestoreMs)}* (target ${secs(card.targets.timeToRestoreMs)})`
          ).trim(),
        },
      },
      ...(lines.length ? [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } }] : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Cleanup: ${card.cleanup.verified ? 'verified' : 'NOT verified'}: ${card.cleanup.detail}`.slice(
              0,
              2900,
            ),
          },
        ],
      },
    ],
  };
}
