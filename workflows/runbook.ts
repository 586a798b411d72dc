/**
 * The runbook interpreter: one workflow runs any runbook, step by step, from the snapshot
 * taken when the run started (editing YAML never changes a run in flight).
 */
import { CancellationScope, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { awaitApproval, validateDecision } from './approval.js';
import { commitToGit, patchLive, pauseAutoSync, planEmergency, resumeAutoSync, waitForGitToMatchLive } from './emergency-steps.js';
import { holdPaused, type HoldRequests } from './hold-paused.js';
import { abandonUpdate, cancelSignal, decisionUpdate, resolveUpdate, statusQuery, timelineQuery } from './messages.js';
import { notifyProgress } from './notify.js';
import { planRollback, refresh, revertPromotion, verifyHealth, waitForSynced } from './rollback-steps.js';
import { RunState } from './run-state.js';
import type { StepContext, StepResult, StepRunner } from './step-context.js';
import type { PersonRef, RunInput, RunStatus, StepKind } from './types.js';
import { failureMessage } from './failure-message.js';

const approve: StepRunner = async (_step, ctx) => {
  const outcome = await awaitApproval(ctx.input, ctx.state, ctx.isCancelled, () => notifyProgress(ctx));
  ctx.state.phase('running');
  switch (outcome) {
    case 'approved': return { summary: `approved by ${ctx.state.status.approvals.filter((a) => a.decision === 'approve').map((a) => a.by).join(', ')}` };
    case 'not-required': return { summary: ctx.input.request.source === 'drill' ? 'approval waived by drill policy' : 'approval not required by policy', skipped: true };
    case 'rejected': return { summary: `rejected by ${ctx.state.status.approvals.find((a) => a.decision === 'reject')?.by}`, stop: { phase: 'rejected', result: 'Rejected: nothing was changed.' } };
    case 'expired': return { summary: `no decision within ${Math.round(ctx.input.target.approval.timeoutMs / 60000)} min`, stop: { phase: 'expired', result: 'Approval timed out: the run was cancelled and nothing was changed. Start it again when an approver is available.' } };
    case 'cancelled': return { summary: 'cancelled while waiting for approval', stop: { phase: 'cancelled', result: 'Cancelled before any change.' } };
  }
};

const notify: StepRunner = async (step) => ({ summary: String(step.with.message ?? 'notified') });

/** Mapped over StepKind: a step kind without a runner does not compile. */
const runners: { [K in StepKind]: StepRunner } = {
  planRollback, approve, revertPromotion, refresh, waitForSynced, verifyHealth, notify,
  planEmergency, pauseAutoSync, patchLive, commitToGit, waitForGitToMatchLive, resumeAutoSync,
};

const mayAct = (input: RunInput, by: PersonRef) => [...input.target.owners, ...input.target.approvers].some((p) => p.handle === by.handle);

export async function runbookWorkflow(input: RunInput): Promise<RunStatus> {
  const info = workflowInfo();
  const state = new RunState(info.workflowId, input);
  let cancelledBy: PersonRef | undefined;
  let current: CancellationScope | undefined;

  setHandler(statusQuery, () => state.status);
  setHandler(timelineQuery, () => state.timeline);
  setHandler(decisionUpdate, (d) => {
    state.status.approvals.push({ by: d.by.handle, at: new Date().toISOString(), decision: d.decision });
    state.record('approval', d.by.handle, `${d.decision === 'approve' ? 'approved' : 'rejected'}${d.comment ? `: ${d.comment}` : ''}`);
    return state.status;
  }, { validator: (d) => validateDecision(input, state, d) });
  const hold: HoldRequests = {};
  const validateHold = (by: PersonRef) => {
    if (state.status.phase !== 'held-paused') throw new Error(`this run holds no pause (it is ${state.status.phase})`);
    if (!mayAct(input, by)) throw new Error(`${by.handle} is neither an owner nor an approver of ${input.target.app}`);
  };
  setHandler(resolveUpdate, ({ by, comment }) => {
    hold.resolve = by;
    state.record('note', by.handle, `resolve requested${comment ? `: ${comment}` : ''}: verifying that Git holds the live change`);
    return state.status;
  }, { validator: ({ by }) => validateHold(by) });
  setHandler(abandonUpdate, ({ by, comment }) => {
    hold.abandon = by;
    state.record('note', by.handle, `abandon confirmed${comment ? `: ${comment}` : ''}: resuming auto-sync, Git wins`);
    return state.status;
  }, { validator: ({ by, confirm }) => {
    validateHold(by);
    if (confirm !== true) throw new Error('abandoning resumes auto-sync and lets Git undo the live change: confirm it explicitly (--confirm)');
  } });
  setHandler(cancelSignal, ({ by, reason }) => {
    if (cancelledBy || ['restored', 'not-restored', 'failed', 'cancelled', 'rejected', 'expired', 'held-paused', 'resolved', 'abandoned'].includes(state.status.phase)) return;
    cancelledBy = by;
    state.record('note', by.handle, `cancel requested${reason ? `: ${reason}` : ''}`);
    current?.cancel();
  });

  const ctx: StepContext = { input, state, runKey: `${info.workflowId}/${info.runId}`, isCancelled: () => cancelledBy !== undefined };
  let stop: StepResult['stop'];
  for (const step of input.runbook.steps) {
    if (stop) { state.endStep(step.name, 'skipped', 'not reached'); continue; }
    if (ctx.isCancelled()) { stop = { phase: 'cancelled', result: `Cancelled by ${cancelledBy?.handle} before ${step.name}.` }; state.endStep(step.name, 'skipped', 'cancelled'); continue; }
    state.startStep(step.name);
    if (state.status.phase === 'planning' && step.kind !== 'planRollback' && step.kind !== 'planEmergency') state.phase('running');
    try {
      current = new CancellationScope();
      const result = await current.run(() => runners[step.kind](step, ctx));
      state.endStep(step.name, result.skipped ? 'skipped' : 'done', result.summary, result.evidence);
      if (result.stop) stop = result.stop;
    } catch (err) {
      if (isCancellation(err) || ctx.isCancelled()) {
        state.endStep(step.name, 'failed', `cancelled by ${cancelledBy?.handle ?? 'rewind'}`);
        stop = { phase: 'cancelled', result: `Cancelled by ${cancelledBy?.handle ?? 'rewind'} during ${step.name}.${ctx.revertSha ? ` The revert ${ctx.revertSha.slice(0, 7)} is already in Git.` : ' Nothing was changed.'}` };
      } else {
        const message = failureMessage(err);
        state.endStep(step.name, 'failed', message);
        stop = { phase: 'failed', result: `Failed at ${step.name}: ${message}` };
      }
    } finally {
      current = undefined;
    }
    await notifyProgress(ctx);
  }
  if (stop && ctx.pause) {
    // Something after the pause failed or was cancelled: hold the pause, never end silently.
    const pauseStep = input.runbook.steps.find((s) => s.kind === 'pauseAutoSync');
    const remindEveryMs = Number(pauseStep?.with.remindEveryMinutes ?? 15) * 60_000;
    stop = await holdPaused(ctx, stop.result, hold, remindEveryMs);
  }
  if (stop) {
    state.phase(stop.phase);
    state.status.result = stop.result;
  } else {
    state.phase('restored');
    const restoredAt = state.status.restoredAt ?? new Date().toISOString();
    state.status.timeToRestoreMs = Date.parse(restoredAt) - Date.parse(state.status.startedAt);
    const at = (ctx.revertSha ?? ctx.commitSha)?.slice(0, 7) ?? 'the current revision';
    state.status.result = ctx.commitSha
      ? `Restored: the live change is in Git at ${at}, auto-sync is back to its recorded policy, and ${input.target.app}/${input.target.env} is Synced and Healthy.`
      : `Restored: ${input.target.app}/${input.target.env} is Synced and Healthy at ${at}.`;
  }
  state.record('run', 'rewind', state.status.result);
  await notifyProgress(ctx);
  return state.status;
}

