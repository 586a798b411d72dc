/** Plain-text views of a run for the terminal: the plan, step changes, the outcome. */
import { objectLabel, shownValue as shown } from '../../../workflows/object-label.js';
import type { EmergencyPlan, RollbackPlan, RunStatus, StepStatus, TargetSnapshot } from '../../../workflows/types.js';

const short = (sha: string | undefined) => (sha ? sha.replace(/^.*[:@]/, '').slice(0, 7) : '?');

export function planLines(plan: RollbackPlan): string[] {
  const p = plan.promotion;
  const lines = [`Plan: revert ${p.sha.slice(0, 7)} "${p.subject}" by ${p.author}${p.url ? ` (${p.url})` : ''}`];
  for (const i of p.images) lines.push(`  image ${i.container}: ${i.from} → ${i.to}`);
  for (const c of p.config) lines.push(`  config ${objectLabel(c.object)} ${c.key}: ${shown(c.from)} → ${shown(c.to)}`);
  for (const o of p.added) lines.push(`  added ${o}`);
  for (const o of p.removed) lines.push(`  removed ${o}`);
  for (const o of p.otherChanged) lines.push(`  changed ${o}`);
  if (lines.length === 1) lines.push('  no rendered change');
  const e = plan.engine;
  lines.push(
    `Engine: ${e.engine} ${e.syncStatus} at ${short(e.syncedRevision)}, ` +
      `health ${e.health}${e.healthMessage ? ` (${e.healthMessage})` : ''}, auto-sync ${e.autoSync ? 'on' : 'off'}`,
  );
  lines.push(
    `Drift: ${plan.drift.real} real difference(s) between Git and ` +
      `live${plan.drift.allowedOnly ? `, ${plan.drift.allowedOnly} allowed runtime field(s)` : ''}`,
  );
  const env = plan.environment;
  if (env)
    lines.push(
      `Besides the promotion: ` +
        `${
          env.lines.length
            ? env.lines.join(' ')
            : env.complete
              ? 'nothing; the last sync overwrote no live edit rewind saw'
              : 'unknown'
        }`,
    );
  for (const c of env?.nextCommands ?? []) lines.push(`  next: ${c}`);
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines;
}

export function emergencyPlanLines(plan: EmergencyPlan): string[] {
  const lines = ['Plan: change live (before → after), then commit the same change to Git'];
  for (const c of plan.changes) {
    lines.push(`  ${objectLabel(c.object)}`);
    for (const f of c.fields) lines.push(`    ${f.path}: ${shown(f.live)} → ${shown(f.desired)}`);
  }
  for (const r of plan.readers ?? []) lines.push(`  ${r}`);
  const files = [...new Set(plan.gitEdits.map((e) => e.file))];
  lines.push(`Git files it will edit: ${files.join(', ') || '(none)'}`);
  if (plan.gitDiff)
    lines.push(
      ...plan.gitDiff
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  const e = plan.engine;
  lines.push(
    `Engine: ${e.engine} ${e.syncStatus} at ${short(e.syncedRevision)}, ` +
      `health ${e.health}, auto-sync ${e.autoSync ? 'on' : 'off'}`,
  );
  for (const w of plan.warnings) lines.push(`Warning: ${w}`);
  return lines;
}

/** What to do about a run that holds auto-sync paused, with the exact commands. */
export function heldLines(status: RunStatus): string[] {
  const lease = status.pause?.lease;
  return [
    `HELD: ${status.result ?? `auto-sync of ${status.app}/${status.env} stays paused`}`,
    ...(lease
      ? [
          `  Paused since ${lease.pausedAt} for ${lease.by}; lease ` +
            `until ${lease.expiresAt}. rewind reminds the channel until a person acts.`,
        ]
      : []),
    `  Once Git holds the change:        rewind resolve ${status.app} --env ${status.env}`,
    `  To resume now and let Git win:    rewind abandon ${status.app}` +
      ` --env ${status.env} --confirm   (the engine undoes the live change)`,
  ];
}

export const stepLine = (s: StepStatus): string => `  ${s.name}: ${s.state}${s.summary ? ` — ${s.summary}` : ''}`;

export function outcomeLines(status: RunStatus): string[] {
  const lines = [`${status.workflowId}: ${status.phase}`];
  if (status.result) lines.push(status.result);
  if (status.revertSha) lines.push(`Revert commit: ${status.revertSha}`);
  if (status.commitSha) lines.push(`Git commit: ${status.commitSha}`);
  const pr = status.pullRequest;
  if (pr)
    lines.push(
      pr.state === 'open'
        ? `Waiting for review: PR #${pr.number} ${pr.url} (from ${pr.branch}); the run continues when it is merged`
        : `Pull request: #${pr.number} ${pr.url} ${pr.state}` +
            `${pr.mergeSha ? ` as ${pr.mergeSha}${pr.mergedBy ? ` by ${pr.mergedBy}` : ''}` : ''}`,
    );
  if (status.timeToRestoreMs !== undefined)
    lines.push(`Time to restore: ${Math.round(status.timeToRestoreMs / 1000)}s`);
  const pm = status.postmortem;
  if (pm) lines.push(`Postmortem: ${pm.file} in ${pm.repo} (${pm.url ?? pm.sha.slice(0, 12)})`);
  return lines;
}

export function awaitingLines(status: RunStatus, target: TargetSnapshot): string[] {
  const approvers = target.approvers
    .filter((p) => p.handle !== status.requester || target.approval.allowSelfApproval)
    .map((p) => p.handle);
  return [
    `Waiting for approval by ${approvers.join(' or ') || '(no approvers configured)'}` +
      ` (within ${Math.round(target.approval.timeoutMs / 60000)} min).`,
    `  An approver runs: rewind approve ${status.app} --env ${status.env}` +
      `${status.runId ? ` --run ${status.runId}` : ''}   (or clicks Approve in Slack)`,
  ];
}

/** What an approver decides on (`rewind approve|reject`): the run id, who asked and why, and the plan. */
export function decisionSummaryLines(status: RunStatus): string[] {
  const indent = (lines: string[]) => lines.map((l) => `  ${l}`);
  const plan = status.plan
    ? planLines(status.plan)
    : status.emergency
      ? emergencyPlanLines(status.emergency)
      : ['(no plan yet)'];
  const approved = status.approvals.filter((a) => a.decision === 'approve').map((a) => a.by);
  return [
    `Run ${status.runId ?? '(no run id)'} (${status.workflowId}): ` +
      `${status.runbook} of ${status.app}/${status.env}, ${status.phase}`,
    `  Requested by ${status.requester} at ${status.startedAt}` +
      `${status.incidentId ? ` for incident ${status.incidentId}` : ''}: ${status.reason}`,
    ...indent(plan),
    ...(approved.length
      ? [
          `  Approved so far by ${approved.join(', ')}` +
            `${status.approvalsNeeded ? `; ${status.approvalsNeeded} more needed` : ''}`,
        ]
      : []),
  ];
}

/** Held pauses first, each with what to run; then the other runs, one line each. */
export function runListLines(runs: RunStatus[], app?: string): string[] {
  if (runs.length === 0) return [`No runs in progress${app ? ` for ${app}` : ''}.`];
  const held = (r: RunStatus) => (r.phase === 'held-paused' ? 0 : 1);
  return [...runs]
    .sort((a, b) => held(a) - held(b))
    .flatMap((r) => {
      if (r.phase === 'held-paused') {
        return [
          `${r.workflowId}  ${r.runbook}  HELD-PAUSED  requested by ${r.requester} at ${r.startedAt}: ${r.reason}`,
          ...(r.result ? [`  ${r.result}`] : []),
          ...heldLines(r).slice(1),
        ];
      }
      const step = r.steps.find((s) => s.state === 'running');
      return [
        `${r.workflowId}  ${r.runbook}  ${r.phase}${step ? ` (${step.name})` : ''}  ` +
          `requested by ${r.requester} at ${r.startedAt}: ${r.reason}`,
      ];
    });
}
