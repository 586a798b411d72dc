/**
 * The Slack message of one run: plan, approval buttons, step progress and result, rebuilt
 * from the run status on every change so the channel always shows one current message.
 */
import type { RunStatus, StepStatus, TargetSnapshot } from '../../workflows/types.js';

export const ACTION = { approve: 'rewind_approve', reject: 'rewind_reject', cancel: 'rewind_cancel' } as const;

type Block = { type: string } & Record<string, unknown>;
const ICON: Record<StepStatus['state'], string> = { pending: '◻️', running: '⏳', done: '✅', failed: '❌', skipped: '➖' };
const PHASE: Record<RunStatus['phase'], string> = {
  planning: 'Planning', 'awaiting-approval': 'Waiting for approval', running: 'Running', restored: 'Restored',
  'not-restored': 'NOT restored', failed: 'Failed', cancelled: 'Cancelled', rejected: 'Rejected', expired: 'Approval expired',
  'held-paused': 'HELD: auto-sync paused, needs a person', resolved: 'Resolved', abandoned: 'Abandoned: Git won',
};

const text = (t: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: t.slice(0, 2900) } });

export function runLink(target: TargetSnapshot, workflowId: string): string | undefined {
  return target.temporalUiUrl ? `${target.temporalUiUrl.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}` : undefined;
}

export function runMessage(status: RunStatus, target: TargetSnapshot): { text: string; blocks: Block[] } {
  const title = `${status.runbook} ${status.app}/${status.env}: ${PHASE[status.phase]}`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    text(`Requested by *${status.requester}*${status.incidentId ? ` for incident *${status.incidentId}*` : ''}: ${status.reason}`),
  ];
  const plan = status.plan;
  if (plan) {
    const p = plan.promotion;
    const changes = [
      ...p.images.map((i) => `• image \`${i.container}\`: \`${i.from}\` → \`${i.to}\``),
      ...p.config.map((c) => `• config \`${c.object}\` ${c.key}: \`${c.from ?? '∅'}\` → \`${c.to ?? '∅'}\``),
      ...p.added.map((o) => `• added ${o}`), ...p.removed.map((o) => `• removed ${o}`),
    ];
    const sha = p.url ? `<${p.url}|${p.sha.slice(0, 7)}>` : `\`${p.sha.slice(0, 7)}\``;
    blocks.push(text(`*Revert* ${sha} "${p.subject}" by ${p.author}\n${changes.join('\n') || '• no rendered change'}`));
    blocks.push(text(`*Engine*: ${plan.engine.syncStatus} at \`${(plan.engine.syncedRevision ?? '?').slice(-40, -33) || '?'}\`, health ${plan.engine.health}, auto-sync ${plan.engine.autoSync ? 'on' : 'off'}`));
    if (plan.warnings.length) blocks.push(text(plan.warnings.map((w) => `:warning: ${w}`).join('\n')));
  }
  blocks.push(text(status.steps.map((s) => `${ICON[s.state]} ${s.name}${s.summary ? ` — ${s.summary}` : ''}`).join('\n')));
  if (status.result) blocks.push(text(`*${status.result}*${status.timeToRestoreMs !== undefined ? `\nTime to restore: ${Math.round(status.timeToRestoreMs / 1000)}s` : ''}`));
  const link = runLink(target, status.workflowId);
  if (link) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|Run ${status.workflowId}>` }] });
  const buttons: Block[] = [];
  if (status.phase === 'awaiting-approval') {
    buttons.push({ type: 'button', action_id: ACTION.approve, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: status.workflowId });
    buttons.push({ type: 'button', action_id: ACTION.reject, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: status.workflowId });
  }
  if (['planning', 'awaiting-approval', 'running'].includes(status.phase)) {
    buttons.push({ type: 'button', action_id: ACTION.cancel, text: { type: 'plain_text', text: 'Cancel' }, value: status.workflowId });
  }
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  return { text: title, blocks };
}
