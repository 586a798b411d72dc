/**
 * The runbook interpreter: one workflow runs any runbook, step by step, from the snapshot
 * taken when the run started (editing YAML never changes a run in flight).
 */
import { CancellationScope, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { gitActs, postmortemActs } from './activities.js';
import { awaitApproval, validateDecision } from './approval.js';
import {
  awaitEngineRevision,
  commitToGit,
  patchLive,
  pauseAutoSync,
  planEmergency,
  resumeAutoSync,
  waitForGitToMatchLive,
} from './emergency-steps.js';
import { holdPaused, type HoldRequests } from './hold-paused.js';
import { abandonUpdate, cancelUpdate, decisionUpdate, resolveUpdate, statusQuery, timelineQuery } from './messages.js';
import { RunNotifier } from './notify.js';
import { PauseGuard } from './pause-guard.js';
import { planRollback, refresh, revertPromotion, verifyHealth, waitForSynced } from './rollback-steps.js';
import { landPullRequest } from './pull-request-steps.js';
import { RunState } from './run-state.js';
import type { StepContext, StepResult, StepRunner } from './step-context.js';
import {
  TERMINAL_PHASES,
  type IdentityProof,
  type PersonRef,
  type RunInput,
  type RunResult,
  type StepKind,
} from './types.js';
import { failureMessage } from './failure-message.js';
import { policyAllows, triggerAlert } from './verification/types.js';
import { verifyCheck } from './verify-steps.js';

const approve: StepRunner = async (_step, ctx) => {
  const outcome = await awaitApproval(ctx.input, ctx.state, ctx.isCancelled, async () => ctx.notifier.poke());
  ctx.state.phase('running');
  switch (outcome) {
    case 'approved':
      return {
        summary: `approved by ${ctx.state.status.approvals
          .filter((a) => a.decision === 'approve')
          .map((a) => a.by)
          .join(', ')}`,
      };
    case 'waived-by-policy': {
      const t = ctx.input.request.trigger;
      return {
        summary:
          `approval waived by the autoRollback policy of ${ctx.input.target.app}/${ctx.input.target.env}` +
          ` (committed in rewind.yaml): ${t?.policy?.fired.join(', ') ?? '?'} failed at ${t?.detectedAt ?? '?'}`,
        skipped: true,
        evidence: {
          policy: `autoRollback.when: ${t?.policy?.when.join(', ') ?? ''}`,
          fired: t?.policy?.fired.join(', '),
          detectedAt: t?.detectedAt,
        },
      };
    }
    case 'not-required':
      return {
        summary:
          ctx.input.request.source === 'drill' ? 'approval waived by drill policy' : 'approval not required by policy',
        skipped: true,
      };
    case 'rejected':
      return {
        summary: `rejected by ${ctx.state.status.approvals.find((a) => a.decision === 'reject')?.by}`,
        stop: { phase: 'rejected', result: 'Rejected: nothing was changed.' },
      };
    case 'expired':
      return {
        summary: `no decision within ${Math.round(ctx.input.target.approval.timeoutMs / 60000)} min`,
        stop: {
          phase: 'expired',
          result:
            'Approval timed out: the run was cancelled and nothing ' +
            'was changed. Start it again when an approver is available.',
        },
      };
    case 'cancelled':
      return {
        summary: 'cancelled while waiting for approval',
        stop: { phase: 'cancelled', result: 'Cancelled before any change.' },
      };
  }
};

const notify: StepRunner = async (step) => ({ summary: String(step.with.message ?? 'notified') });

/** Mapped over StepKind: a step kind without a runner does not compile. */
const runners: { [K in StepKind]: StepRunner } = {
  planRollback,
  approve,
  revertPromotion,
  landPullRequest,
  refresh,
  waitForSynced,
  verifyHealth,
  notify,
  planEmergency,
  pauseAutoSync,
  patchLive,
  commitToGit,
  waitForGitToMatchLive,
  awaitEngineRevision,
  resumeAutoSync,
  verifyMetric: verifyCheck,
  verifyProbe: verifyCheck,
  verifyAnalysis: verifyCheck,
};

const mayAct = (input: RunInput, by: PersonRef) =>
  [...input.target.owners, ...input.target.approvers].some((p) => p.handle === by.handle);

export async function runbookWorkflow(input: RunInput): Promise<RunResult> {
  const info = workflowInfo();
  // A held pause that continued as new carries its state; everything else starts fresh.
  const resumed = input.resume;
  const state = new RunState(info.workflowId, input, resumed, info.firstExecutionRunId);
  // The promotion watch's first failed verification is this incident's detection: an alert on the run's timeline.
  const trigger = input.request.trigger;
  if (trigger && !resumed) state.timeline.push(triggerAlert(input.target, trigger));
  let cancelledBy: PersonRef | undefined;
  let current: CancellationScope | undefined;

  setHandler(statusQuery, () => state.status);
  setHandler(timelineQuery, () => state.timeline);
  setHandler(
    decisionUpdate,
    (d) => {
      state.status.approvals.push({ by: d.by.handle, at: new Date().toISOString(), decision: d.decision });
      const approved = state.status.approvals.filter((a) => a.decision === 'approve').length;
      state.status.approvalsNeeded =
        d.decision === 'reject' ? 0 : Math.max(0, input.target.approval.minApprovers - approved);
      state.record(
        'approval',
        d.by.handle,
        `${d.decision === 'approve' ? 'approved' : 'rejected'}${d.comment ? `: ${d.comment}` : ''}`,
      );
      return state.status;
    },
    { validator: (d) => validateDecision(input, state, d) },
  );
  const hold: HoldRequests = {};
  // Where decisions need a proven identity, so do the other requests that change what the run does.
  const proven = (via: IdentityProof | undefined, what: string) => {
    if (input.target.approval.requireProvenIdentity && via === 'claimed')
      throw new Error(
        `${input.target.app}/${input.target.env} takes ${what} only from a proven identity ` +
          `(Slack, or the CLI identified by your kubeconfig), not from a name typed with --as`,
      );
  };
  const validateHold = (by: PersonRef, via: IdentityProof | undefined, what: string) => {
    if (state.status.phase !== 'held-paused') throw new Error(`this run holds no pause (it is ${state.status.phase})`);
    if (!mayAct(input, by)) throw new Error(`${by.handle} is neither an owner nor an approver of ${input.target.app}`);
    proven(via, what);
  };
  setHandler(
    resolveUpdate,
    ({ by, comment }) => {
      hold.resolve = by;
      state.record(
        'note',
        by.handle,
        `resolve requested${comment ? `: ${comment}` : ''}: verifying that Git holds the live change`,
      );
      return state.status;
    },
    { validator: ({ by, via }) => validateHold(by, via, 'a resolve') },
  );
  setHandler(
    abandonUpdate,
    ({ by, comment }) => {
      hold.abandon = by;
      state.record(
        'note',
        by.handle,
        `abandon confirmed${comment ? `: ${comment}` : ''}: resuming auto-sync, Git wins`,
      );
      return state.status;
    },
    {
      validator: ({ by, confirm, via }) => {
        validateHold(by, via, 'an abandon');
        if (confirm !== true)
          throw new Error(
            'abandoning resumes auto-sync and lets Git undo the live change: confirm it explicitly (--confirm)',
          );
      },
    },
  );
  setHandler(
    cancelUpdate,
    ({ by, reason }) => {
      cancelledBy = by;
      state.record('note', by.handle, `cancel requested${reason ? `: ${reason}` : ''}`);
      current?.cancel();
      return state.status;
    },
    {
      validator: ({ by, via }) => {
        if (!mayAct(input, by))
          throw new Error(
            `${by.handle} is neither an owner nor an approver of ${input.target.app} and cannot cancel its runs`,
          );
        proven(via, 'a cancel');
        if (state.status.phase === 'held-paused')
          throw new Error(
            `this run holds auto-sync of ${input.target.app}/${input.target.env} paused: ` +
              `resolve it once Git holds the change, or abandon it to let Git win`,
          );
        if (cancelledBy) throw new Error(`${cancelledBy.handle} has already cancelled this run`);
        if (TERMINAL_PHASES.includes(state.status.phase))
          throw new Error(`this run has already ended (${state.status.phase})`);
      },
    },
  );

  // The run key names this run in Git trailers and pause leases: it stays that of the first run of the chain.
  const ctx: StepContext = {
    input,
    state,
    runKey: resumed?.runKey ?? `${info.workflowId}/${info.runId}`,
    isCancelled: () => cancelledBy !== undefined,
    notifier: new RunNotifier(input.target, state),
    ...(resumed?.context ?? {}),
  };
  let stop: StepResult['stop'];
  const guard = new PauseGuard();
  const pauseStep = input.runbook.steps.find((s) => s.kind === 'pauseAutoSync');
  const remindEveryMs = Number(pauseStep?.with.remindEveryMinutes ?? 15) * 60_000;
  if (resumed) {
    stop = await holdPaused(ctx, resumed.why, hold, remindEveryMs, resumed.reminders);
    return finish(ctx, stop);
  }
  // Checked where the change happens, not only by the client that started the run.
  if (input.request.source === 'auto' && !policyAllows(input.target.verification, input.request.trigger)) {
    for (const step of input.runbook.steps) state.endStep(step.name, 'skipped', 'not started');
    return finish(ctx, {
      phase: 'rejected',
      result:
        `No autoRollback policy of ${input.target.app}/${input.target.env} covers ` +
        `${input.request.trigger?.policy?.fired.join(', ') || 'this trigger'}; nothing was changed.`,
    });
  }
  if (
    input.request.source !== 'drill' &&
    input.request.source !== 'auto' &&
    !input.target.owners.some((o) => o.handle === input.request.requester.handle)
  ) {
    for (const step of input.runbook.steps) state.endStep(step.name, 'skipped', 'not started');
    return finish(ctx, {
      phase: 'rejected',
      result:
        `${input.request.requester.handle} is not an owner ` +
        `of ${input.target.app} and may not start its runs; nothing was changed.`,
    });
  }
  for (const step of input.runbook.steps) {
    if (stop) {
      state.endStep(step.name, 'skipped', 'not reached');
      continue;
    }
    if (guard.violation) {
      stop = { phase: 'failed', result: `The pause was broken before ${step.name}: ${guard.violation}` };
      state.endStep(step.name, 'skipped', 'the pause was broken');
      continue;
    }
    if (ctx.isCancelled()) {
      stop = { phase: 'cancelled', result: `Cancelled by ${cancelledBy?.handle} before ${step.name}.` };
      state.endStep(step.name, 'skipped', 'cancelled');
      continue;
    }
    // rewind turns auto-sync back on itself here: the guard's watch ends.
    if (step.kind === 'resumeAutoSync') guard.stop();
    state.startStep(step.name);
    if (state.status.phase === 'planning' && step.kind !== 'planRollback' && step.kind !== 'planEmergency')
      state.phase('running');
    try {
      current = new CancellationScope();
      const result = await current.run(() => runners[step.kind](step, ctx));
      state.endStep(step.name, result.skipped ? 'skipped' : 'done', result.summary, result.evidence);
      if (result.stop) stop = result.stop;
      // From the pause on, stand watch; once the patch landed, over the patched fields too.
      if ((step.kind === 'pauseAutoSync' && ctx.pause) || (step.kind === 'patchLive' && ctx.pause))
        guard.start(ctx, () => current?.cancel());
    } catch (err) {
      if (guard.violation) {
        state.endStep(step.name, 'failed', `stopped: the pause was broken: ${guard.violation}`);
        stop = { phase: 'failed', result: `The pause was broken during ${step.name}: ${guard.violation}` };
      } else if (isCancellation(err) || ctx.isCancelled()) {
        state.endStep(step.name, 'failed', `cancelled by ${cancelledBy?.handle ?? 'rewind'}`);
        stop = {
          phase: 'cancelled',
          result: `Cancelled by ${cancelledBy?.handle ?? 'rewind'} during ${step.name}. ${changedSoFar(ctx)}`,
        };
      } else {
        const message = failureMessage(err);
        state.endStep(step.name, 'failed', message);
        stop = { phase: 'failed', result: `Failed at ${step.name}: ${message}` };
      }
    } finally {
      current = undefined;
    }
    ctx.notifier.poke();
  }
  guard.stop();
  if (stop && ctx.pause && !ctx.patched) {
    // Stopped after the pause but before any live change: there is nothing to hold; put auto-sync back as it was.
    const { policy } = ctx.pause;
    await CancellationScope.nonCancellable(async () => {
      if (policy) await gitActs.resumeAutoSync({ target: input.target, policy });
      else await gitActs.releaseLease({ target: input.target, runKey: ctx.runKey });
    });
    ctx.pause = undefined;
    state.status.pause = undefined;
    stop = {
      ...stop,
      result:
        `${stop.result.replace(/ Nothing was changed\.$/, '')} Auto-sync ` +
        `was resumed as it was; nothing was changed.`,
    };
  }
  if (stop && ctx.pause) {
    // Something after the pause failed, was cancelled or broke the pause: hold it, never end silently.
    stop = await holdPaused(ctx, stop.result, hold, remindEveryMs, 0, guard.violation);
  }
  return finish(ctx, stop);
}

/** What a stopped run leaves behind, in words: the person reading "Cancelled" must know what already happened. */
function changedSoFar(ctx: StepContext): string {
  const done: string[] = [];
  if (ctx.revertSha) done.push(`The revert ${ctx.revertSha.slice(0, 7)} is already in Git.`);
  if (ctx.patched) done.push('The live change is in place.');
  if (ctx.commitSha) done.push(`Git holds it at ${ctx.commitSha.slice(0, 7)}.`);
  if (ctx.patched && !ctx.pause) done.push('Auto-sync is back to its recorded policy.');
  return done.length ? done.join(' ') : 'Nothing was changed.';
}

/** Ends the run with its phase and result text; the run message gets a bounded last update. */
async function finish(ctx: StepContext, stop: StepResult['stop']): Promise<RunResult> {
  const { input, state } = ctx;
  if (stop) {
    state.phase(stop.phase);
    state.status.result = stop.result;
  } else {
    state.phase('restored');
    const restoredAt = state.status.restoredAt ?? new Date().toISOString();
    state.status.timeToRestoreMs = Date.parse(restoredAt) - Date.parse(state.status.startedAt);
    const at = (ctx.revertSha ?? ctx.commitSha)?.slice(0, 7) ?? 'the current revision';
    state.status.result = ctx.commitSha
      ? `Restored: the live change is in Git at ${at}, auto-sync is back to its recorded ` +
        `policy, and ${input.target.app}/${input.target.env} is Synced and Healthy.`
      : `Restored: ${input.target.app}/${input.target.env} is Synced and Healthy at ${at}.`;
  }
  const t = input.request.trigger;
  if (t?.policy && input.request.source === 'auto') {
    // The result says which pre-committed trigger fired, and when, whatever the outcome.
    state.status.result =
      `${state.status.result} Started by the autoRollback policy of ${input.target.app}/${input.target.env}: ` +
      `${t.failed
        .filter((f) => t.policy!.fired.includes(f.name))
        .map((f) => `${f.name} failed at ${f.at} (${f.message})`)
        .join('; ')}, after promotion ${t.promotion.slice(0, 7)} synced at ${t.syncedAt}.`;
  }
  state.record('run', 'rewind', state.status.result);
  await ctx.notifier.flush(60_000);
  // A drill's run is a rehearsal: its scorecard is its record, not a postmortem.
  if (input.target.postmortems && input.request.source !== 'drill') await commitPostmortem(ctx);
  return { ...state.status, timeline: [...state.timeline] };
}

/**
 * Commits the ended run's timeline as Markdown to the postmortems repository. Also after a cancel
 * (the record matters most then); a failure is noted in the timeline and never changes the outcome.
 */
async function commitPostmortem(ctx: StepContext): Promise<void> {
  const { input, state } = ctx;
  const repo = input.target.postmortems!.repo.name;
  try {
    const pm = await CancellationScope.nonCancellable(() =>
      postmortemActs.commitPostmortem({
        workflowId: workflowInfo().workflowId,
        runKey: ctx.runKey,
        result: { ...state.status, timeline: [...state.timeline] },
        target: input.target,
      }),
    );
    state.status.postmortem = { repo, file: pm.file, sha: pm.sha, ...(pm.url ? { url: pm.url } : {}) };
    state.record('note', 'rewind', `Postmortem committed to ${repo}: ${pm.file} (${pm.sha.slice(0, 7)})`, {
      postmortemSha: pm.sha,
      postmortemFile: pm.file,
    });
  } catch (err) {
    state.record('note', 'rewind', `Postmortem not committed to ${repo}: ${failureMessage(err)}`);
  }
}
