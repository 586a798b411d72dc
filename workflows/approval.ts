/**
 * The human gate: who may approve, and how long the run waits. Every wait has a deadline
 * and an explicit outcome; the validator refuses bad approvals without touching history.
 */
import { condition } from '@temporalio/workflow';
import type { RunState } from './run-state.js';
import type { Decision, RunInput } from './types.js';

export type ApprovalOutcome = 'approved' | 'rejected' | 'expired' | 'cancelled' | 'not-required';

export function validateDecision(input: RunInput, state: RunState, d: Decision): void {
  const { target, request } = input;
  if (state.status.phase !== 'awaiting-approval') throw new Error(`this run is not waiting for approval (it is ${state.status.phase})`);
  if (d.decision === 'reject') {
    const mayReject = [...target.approvers, ...target.owners].some((p) => p.handle === d.by.handle);
    if (!mayReject) throw new Error(`${d.by.handle} is neither an owner nor an approver of ${target.app}`);
    return;
  }
  if (d.by.handle === request.requester.handle && !target.approval.allowSelfApproval) {
    throw new Error(`${d.by.handle} requested this run and cannot approve it; ask another approver (${target.approvers.filter((p) => p.handle !== d.by.handle).map((p) => p.handle).join(', ') || 'none configured'})`);
  }
  if (!target.approvers.some((p) => p.handle === d.by.handle)) {
    throw new Error(`${d.by.handle} is not an approver of ${target.app}; approvers: ${target.approvers.map((p) => p.handle).join(', ') || '(none configured)'}`);
  }
  if (state.status.approvals.some((a) => a.by === d.by.handle)) throw new Error(`${d.by.handle} has already approved this run`);
}

export async function awaitApproval(input: RunInput, state: RunState, isCancelled: () => boolean, onAwaiting: () => Promise<void>): Promise<ApprovalOutcome> {
  const { target, request } = input;
  if (!target.approval.required) return 'not-required';
  if (request.source === 'drill') return 'not-required';
  if (request.preApproved && target.approval.allowCliYes) {
    state.status.approvals.push({ by: request.requester.handle, at: new Date().toISOString(), decision: 'approve' });
    state.record('approval', request.requester.handle, 'approved with --yes (allowed by policy)');
    return 'approved';
  }
  state.phase('awaiting-approval');
  await onAwaiting();
  const approvedCount = () => state.status.approvals.filter((a) => a.decision === 'approve').length;
  const rejected = () => state.status.approvals.some((a) => a.decision === 'reject');
  const settled = await condition(() => isCancelled() || rejected() || approvedCount() >= target.approval.minApprovers, target.approval.timeoutMs);
  if (isCancelled()) return 'cancelled';
  if (!settled) return 'expired';
  return rejected() ? 'rejected' : 'approved';
}
