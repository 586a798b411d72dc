/**
 * The human gate: who may approve, and how long the run waits. Every wait has a deadline
 * and an explicit outcome; the validator refuses bad approvals without touching history.
 */
import { condition } from '@temporalio/workflow';
import type { RunState } from './run-state.js';
import type { Decision, RunInput } from './types.js';

export type ApprovalOutcome = 'approved' | 'rejected' | 'expired' | 'cancelled' | 'not-required' | 'waived-by-policy';

export function validateDecision(input: RunInput, state: RunState, d: Decision): void {
  const { target, request } = input;
  if (state.status.phase !== 'awaiting-approval')
    throw new Error(`this run is not waiting for approval (it is ${state.status.phase})`);
  if (d.runId !== undefined && state.status.runId !== undefined && d.runId !== state.status.runId) {
    throw new Error(
      `this decision is for run ${d.runId}, but ${state.status.workflowId} is now run ${state.status.runId}` +
        ` (requested by ${state.status.requester}: ${state.status.reason}); look at its plan first`,
    );
  }
  // Stricter policy: a decision on this environment must come with a proven identity (signed Slack,
  // or the cluster's word for the CLI).
  if (target.approval.requireProvenIdentity && d.via === 'claimed') {
    throw new Error(
      `${target.app}/${target.env} takes decisions only from a proven identity (Slack, ` +
        `or the CLI identified by your kubeconfig), not from a name typed with --as`,
    );
  }
  if (d.decision === 'reject') {
    const mayReject = [...target.approvers, ...target.owners].some((p) => p.handle === d.by.handle);
    if (!mayReject) throw new Error(`${d.by.handle} is neither an owner nor an approver of ${target.app}`);
    return;
  }
  if (d.by.handle === request.requester.handle && !target.approval.allowSelfApproval) {
    throw new Error(
      `${d.by.handle} requested this run and cannot approve it; ask another approver (${
        target.approvers
          .filter((p) => p.handle !== d.by.handle)
          .map((p) => p.handle)
          .join(', ') || 'none configured'
      })`,
    );
  }
  if (!target.approvers.some((p) => p.handle === d.by.handle)) {
    throw new Error(
      `${d.by.handle} is not an approver of ${target.app}; ` +
        `approvers: ${target.approvers.map((p) => p.handle).join(', ') || '(none configured)'}`,
    );
  }
  if (state.status.approvals.some((a) => a.by === d.by.handle))
    throw new Error(`${d.by.handle} has already approved this run`);
}

export async function awaitApproval(
  input: RunInput,
  state: RunState,
  isCancelled: () => boolean,
  onAwaiting: () => Promise<void>,
): Promise<ApprovalOutcome> {
  const { target, request } = input;
  // autoRollback: approval was given in advance, by the policy committed in rewind.yaml (the
  // workflow checked it at start).
  if (request.source === 'auto') return 'waived-by-policy';
  if (!target.approval.required) return 'not-required';
  if (request.source === 'drill') return 'not-required';
  if (request.preApproved && target.approval.allowCliYes) {
    state.status.approvals.push({ by: request.requester.handle, at: new Date().toISOString(), decision: 'approve' });
    state.record('approval', request.requester.handle, 'approved with --yes (allowed by policy)');
    return 'approved';
  }
  state.phase('awaiting-approval');
  const approvedCount = () => state.status.approvals.filter((a) => a.decision === 'approve').length;
  state.status.approvalsNeeded = target.approval.minApprovers;
  await onAwaiting();
  const rejected = () => state.status.approvals.some((a) => a.decision === 'reject');
  const settled = await condition(
    () => isCancelled() || rejected() || approvedCount() >= target.approval.minApprovers,
    target.approval.timeoutMs,
  );
  if (isCancelled()) return 'cancelled';
  if (!settled) return 'expired';
  return rejected() ? 'rejected' : 'approved';
}
