/** Plain-text views of a run for the terminal: the plan, step changes, the outcome. */
import type { RollbackPlan, RunStatus, StepStatus, TargetSnapshot } from '../../workflows/types.js';

const short = (sha: string | undefined) => (sha ? sha.replace(/^.*[:@]/, '').slice(0, 7) : '?');

export function planLines(plan: RollbackPlan): string[] {
  const p = plan.promotion;
  const lines = [`Plan: revert ${p.sha.slice(0, 7)} "${p.subject}" by ${p.author}${p.url ? ` (${p.url})` : ''}`];
  for (const i of p.images) lines.push(`  image ${i.container}: ${i.from} → ${i.to}`);
  for (const c of p.config) lines.push(`  config ${c.object} ${c.key}: ${c.from ?? '∅'} → ${c.to ?? '∅'}`);
  for (const o of p.added) lines.push(`  added ${o}`);
  for (const o of p.removed) lines.push(`  removed ${o}`);
  for (const o of p.otherChanged) lines.push(`  changed ${o}`);
  if (lines.length === 1) lines.push('  no rendered change');
  const e = plan.engine;
  lines.push(`Engine: ${e.engine} ${e.syncStatus} at ${short(e.syncedRevision)}, health ${e.health}${e.healthMessage ? ` (${e.healthMessage})` : ''}, auto-sync ${e.autoSync ? 'on' : 'off'}`);
  lines.push(`Drift: ${plan.drift.real} real difference(s) between Git and live${plan.drift.allowedOnly ? `, ${plan.drift.allowedOnly} allowed runtime field(s)` : ''}`);
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines;
}

export const stepLine = (s: StepStatus): string => `  ${s.name}: ${s.state}${s.summary ? ` — ${s.summary}` : ''}`;

export function outcomeLines(status: RunStatus): string[] {
  const lines = [`${status.workflowId}: ${status.phase}`];
  if (status.result) lines.push(status.result);
  if (status.revertSha) lines.push(`Revert commit: ${status.revertSha}`);
  if (status.timeToRestoreMs !== undefined) lines.push(`Time to restore: ${Math.round(status.timeToRestoreMs / 1000)}s`);
  return lines;
}

export function awaitingLines(status: RunStatus, target: TargetSnapshot): string[] {
  const approvers = target.approvers.filter((p) => p.handle !== status.requester || target.approval.allowSelfApproval).map((p) => p.handle);
  return [
    `Waiting for approval by ${approvers.join(' or ') || '(no approvers configured)'} (within ${Math.round(target.approval.timeoutMs / 60000)} min).`,
    `  An approver runs: rewind approve ${status.app} --env ${status.env} --as <handle>   (or clicks Approve in Slack)`,
  ];
}

export function runListLines(runs: RunStatus[], app?: string): string[] {
  if (runs.length === 0) return [`No runs in progress${app ? ` for ${app}` : ''}.`];
  return runs.map((r) => {
    const step = r.steps.find((s) => s.state === 'running');
    return `${r.workflowId}  ${r.runbook}  ${r.phase}${step ? ` (${step.name})` : ''}  requested by ${r.requester} at ${r.startedAt}: ${r.reason}`;
  });
}
