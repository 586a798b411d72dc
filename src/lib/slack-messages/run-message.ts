/**
 * The Slack message of one run: plan, approval buttons, step progress and result, rebuilt
 * from the run status on every change so the channel always shows one current message.
 * An emergency run shows each field before → after and the Git files it edits; while its pause
 * is held it offers Resolve and Abandon (Slack asks to confirm Abandon before sending it).
 */
import { objectLabel } from '../../../workflows/object-label.js';
import type { EmergencyPlan, RunStatus, StepStatus, TargetSnapshot } from '../../../workflows/types.js';

export const ACTION = {
  approve: 'rewind_approve',
  reject: 'rewind_reject',
  cancel: 'rewind_cancel',
  resolve: 'rewind_resolve',
  abandon: 'rewind_abandon',
} as const;

type Block = { type: string } & Record<string, unknown>;

/**
 * The value of the Approve and Reject buttons: the workflow id, then the run id whose plan the
 * message shows, so a click decides only that run (the workflow id is shared by every run of an
 * app/env). Other buttons carry the workflow id alone, as messages posted before run ids did.
 */
export const decisionButtonValue = (status: Pick<RunStatus, 'workflowId' | 'runId'>): string =>
  status.runId ? `${status.workflowId}#${status.runId}` : status.workflowId;

/** A run button's value read back: the workflow id, and the run id when the button carries one. */
export function parseRunButtonValue(value: string): { workflowId: string; runId?: string } {
  const at = value.indexOf('#');
  if (at < 0) return { workflowId: value };
  const runId = value.slice(at + 1);
  return { workflowId: value.slice(0, at), ...(runId ? { runId } : {}) };
}
const ICON: Record<StepStatus['state'], string> = {
  pending: '◻️',
  running: '⏳',
  done: '✅',
  failed: '❌',
  skipped: '➖',
};
const PHASE: Record<RunStatus['phase'], string> = {
  planning: 'Planning',
  'awaiting-approval': 'Waiting for approval',
  running: 'Running',
  restored: 'Restored',
  'not-restored': 'NOT restored',
  failed: 'Failed',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
  expired: 'Approval expired',
  'held-paused': 'HELD: auto-sync paused, needs a person',
  resolved: 'Resolved',
  abandoned: 'Abandoned: Git won',
};

const text = (t: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: t.slice(0, 2900) } });
/** Slack mrkdwn control characters in values people typed; backticks would end the code span. */
const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'");
const value = (v: unknown) => `\`${v === undefined ? '∅' : esc(JSON.stringify(v))}\``;
export { objectLabel };

export function runLink(target: TargetSnapshot, workflowId: string): string | undefined {
  return target.temporalUiUrl
    ? `${target.temporalUiUrl.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
}

export function runMessage(status: RunStatus, target: TargetSnapshot): { text: string; blocks: Block[] } {
  const title = `${status.runbook} ${status.app}/${status.env}: ${PHASE[status.phase]}`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    text(
      `Requested by *${status.requester}*` +
        `${status.incidentId ? ` for incident *${status.incidentId}*` : ''}: ${status.reason}`,
    ),
  ];
  const plan = status.plan;
  if (plan) {
    const p = plan.promotion;
    const changes = [
      ...p.images.map((i) => `• image \`${i.container}\`: \`${i.from}\` → \`${i.to}\``),
      ...p.config.map((c) => `• config \`${esc(objectLabel(c.object))}\` ${c.key}: ${value(c.from)} → ${value(c.to)}`),
      ...p.added.map((o) => `• added ${o}`),
      ...p.removed.map((o) => `• removed ${o}`),
    ];
    const sha = p.url ? `<${p.url}|${p.sha.slice(0, 7)}>` : `\`${p.sha.slice(0, 7)}\``;
    blocks.push(text(`*Revert* ${sha} "${p.subject}" by ${p.author}\n${changes.join('\n') || '• no rendered change'}`));
    blocks.push(
      text(
        `*Engine*: ${plan.engine.syncStatus} at \`${(plan.engine.syncedRevision ?? '?').slice(-40, -33) || '?'}\`, ` +
          `health ${plan.engine.health}, auto-sync ${plan.engine.autoSync ? 'on' : 'off'}`,
      ),
    );
    if (plan.warnings.length) blocks.push(text(plan.warnings.map((w) => `:warning: ${w}`).join('\n')));
  }
  if (status.emergency) blocks.push(...emergencyBlocks(status.emergency, status));
  if (status.pause) {
    const l = status.pause.lease;
    blocks.push(
      text(
        `:double_vertical_bar: Auto-sync paused by rewind since ${l.pausedAt} for ${esc(l.by)}` +
          `${l.incidentId ? ` (${esc(l.incidentId)})` : ''}; lease until ${l.expiresAt}`,
      ),
    );
  }
  const pr = status.pullRequest;
  if (pr?.state === 'open')
    blocks.push(
      text(
        `:eyes: Waiting for review: <${pr.url}|PR #${pr.number}> from \`${esc(pr.branch)}\`. ` +
          'The run continues when it is merged; closing it ends the run with nothing changed.',
      ),
    );
  blocks.push(
    text(status.steps.map((s) => `${ICON[s.state]} ${s.name}${s.summary ? ` — ${s.summary}` : ''}`).join('\n')),
  );
  if (status.result)
    blocks.push(
      text(
        `*${status.result}*` +
          `${
            status.timeToRestoreMs !== undefined
              ? `\nTime to restore: ${Math.round(status.timeToRestoreMs / 1000)}s`
              : ''
          }`,
      ),
    );
  const link = runLink(target, status.workflowId);
  if (link)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|Run ${status.workflowId}>` }] });
  const buttons: Block[] = [];
  if (status.phase === 'awaiting-approval') {
    buttons.push({
      type: 'button',
      action_id: ACTION.approve,
      style: 'primary',
      text: { type: 'plain_text', text: 'Approve' },
      value: decisionButtonValue(status),
    });
    buttons.push({
      type: 'button',
      action_id: ACTION.reject,
      style: 'danger',
      text: { type: 'plain_text', text: 'Reject' },
      value: decisionButtonValue(status),
    });
  }
  if (['planning', 'awaiting-approval', 'running'].includes(status.phase)) {
    buttons.push({
      type: 'button',
      action_id: ACTION.cancel,
      text: { type: 'plain_text', text: 'Cancel' },
      value: status.workflowId,
    });
  }
  if (status.phase === 'held-paused') {
    blocks.push(
      text(
        `*Needs a person.* Resolve once Git holds the change (rewind checks it, then resumes auto-sync), ` +
          `or abandon to resume now and let Git undo the live change.\nCLI: \`rewind resolve ${status.app}` +
          ` --env ${status.env}\` · \`rewind abandon ${status.app} --env ${status.env} --confirm\``,
      ),
    );
    buttons.push({
      type: 'button',
      action_id: ACTION.resolve,
      style: 'primary',
      text: { type: 'plain_text', text: 'Resolve: Git holds it' },
      value: status.workflowId,
    });
    buttons.push({
      type: 'button',
      action_id: ACTION.abandon,
      style: 'danger',
      text: { type: 'plain_text', text: 'Abandon: Git wins' },
      value: status.workflowId,
      confirm: abandonConfirm(status),
    });
  }
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  return { text: title, blocks };
}

function emergencyBlocks(e: EmergencyPlan, status: RunStatus): Block[] {
  const objects = e.changes.map(
    (c) =>
      `*${esc(objectLabel(c.object))}*\n` +
      `${c.fields.map((f) => `• \`${esc(f.path)}\`: ${value(f.live)} → ${value(f.desired)}`).join('\n')}`,
  );
  const files = [...new Set(e.gitEdits.map((g) => g.file))];
  const git = status.commitSha ? `*Git*: committed \`${status.commitSha.slice(0, 7)}\`, editing` : '*Git*: will edit';
  const blocks = [
    text(
      `*Change live* (before → after), then hold it in Git\n${objects.join('\n')}` +
        `${(e.readers ?? []).length ? `\n${(e.readers ?? []).map((r) => `• ${esc(r)}`).join('\n')}` : ''}`,
    ),
    text(
      `${git} ${files.map((f) => `\`${esc(f)}\``).join(', ') || '(no file)'}` +
        `${
          e.gitDiff
            ? `\n\`\`\`\n${esc(
                e.gitDiff.length > 1800 ? `${e.gitDiff.slice(0, 1800)}\n…` : e.gitDiff.trimEnd(),
              )}\n\`\`\``
            : ''
        }`,
    ),
    text(
      `*Engine* at plan time: ${e.engine.syncStatus}, ` +
        `health ${e.engine.health}, auto-sync ${e.engine.autoSync ? 'on' : 'off'}`,
    ),
  ];
  if (e.warnings.length) blocks.push(text(e.warnings.map((w) => `:warning: ${esc(w)}`).join('\n')));
  return blocks;
}

/** Slack shows this dialog before it sends the Abandon click: abandoning lets Git undo the fix. */
function abandonConfirm(status: RunStatus): Record<string, unknown> {
  return {
    title: { type: 'plain_text', text: 'Abandon the live change?' },
    text: {
      type: 'mrkdwn',
      text: (
        `Auto-sync of *${status.app}/${status.env}* resumes now and Git wins: the engine undoes the live change` +
        `${
          status.emergency ? ` to ${status.emergency.changes.map((c) => esc(objectLabel(c.object))).join(', ')}` : ''
        }` +
        `. Use Resolve instead if the fix is in Git.`
      ).slice(0, 300),
    },
    confirm: { type: 'plain_text', text: 'Abandon: let Git win' },
    deny: { type: 'plain_text', text: 'Keep it paused' },
    style: 'danger',
  };
}
