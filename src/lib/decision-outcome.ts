/**
 * What a person reads after approving or rejecting a run: what happens next, in the words of the
 * runbook ("approved by bob: reverting 3f2a9c1 now"), or how many approvals are still missing.
 * Shared by the CLI and the Slack buttons.
 */
import type { RunStatus } from '../../workflows/types.js';

/** The action a run takes once approved, by runbook. */
function nextAction(status: RunStatus): string {
  if (status.runbook === 'rollback') {
    const sha = status.plan?.promotion.sha.slice(0, 7);
    return `reverting ${sha ? `${sha} ` : ''}now`;
  }
  if (status.runbook === 'emergency-change')
    return `pausing auto-sync of ${status.app}/${status.env} and patching live now`;
  return 'running now';
}

export function decisionOutcome(status: RunStatus, decision: 'approve' | 'reject', by: string): string {
  if (decision === 'reject') return `rejected by ${by}: ${status.workflowId} stops and nothing is changed.`;
  const needed = status.approvalsNeeded ?? 0;
  if (needed > 0) {
    const approvedBy = status.approvals
      .filter((a) => a.decision === 'approve')
      .map((a) => a.by)
      .join(', ');
    return (
      `approved by ${approvedBy}; ${status.workflowId} needs ${needed} more ` +
      `approver${needed === 1 ? '' : 's'} before it acts.`
    );
  }
  return `approved by ${by}: ${nextAction(status)} (${status.workflowId}, requested by ${status.requester}).`;
}

/** Why a decision came too late: the run ended, and how and when. */
export function closedRunText(status: RunStatus): string {
  const approve = status.steps.find((s) => s.kind === 'approve');
  const when = approve?.endedAt ?? status.steps.findLast((s) => s.endedAt)?.endedAt;
  switch (status.phase) {
    case 'expired':
      return (
        `run ${status.workflowId} expired at ${when ?? 'an earlier time'}: nobody approved it in time ` +
        `(${status.result ?? ''}). Nothing was changed; ask ${status.requester} to start it again.`
      ).replace(' ()', '');
    case 'rejected':
    case 'cancelled':
      return `run ${status.workflowId} was ${status.phase}${when ? ` at ${when}` : ''}: ${status.result ?? ''}`.trim();
    default:
      return (
        `run ${status.workflowId} is not waiting for a decision any ` +
        `more (it is ${status.phase}${when ? ` since ${when}` : ''}).`
      );
  }
}
