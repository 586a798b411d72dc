/**
 * Source (b): a run's timeline rebuilt from its Temporal history, for when no worker runs to answer
 * queries (or the run is long closed). The same RunTimeline shape as ./from-queries.ts:
 *
 * - the run record from the start input (RunInput) and, once completed, the final RunStatus;
 * - step spans from that RunStatus when the run completed (exact), otherwise inferred from which
 *   activities ran (each step kind schedules known activity types, in runbook order);
 * - each step's evidence recomputed from its activities' inputs and results (./history-evidence.ts);
 * - approvals and resolve/abandon from accepted updates, cancel from signals, reminders from
 *   timers, Slack permalinks from publishRunMessage, retries from activity attempt numbers.
 *
 * Summaries of completed steps are the workflow's own; texts the workflow built from values the
 * history does not hold (a held pause's reason) are paraphrased.
 */
import { triggerAlert } from '../../../workflows/verification/types.js';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { Decision, RunInput, RunPhase, RunStatus, RunbookStep, StepStatus } from '../../../workflows/types.js';
import { decodeHistory, type ActivityRecord, type DecodedHistory } from './history-decode.js';
import { NOTIFY_ACTIVITIES, STEP_ACTIVITIES, stepEvidence } from './history-evidence.js';
import { evidenceLinks } from './links.js';
import type { ExecutionState, RunTimeline, StepSpan, TimelineEntry, TimelineRun } from './model.js';
import { engineLabel, runOf, spanOf, targetRef } from './run-record.js';

/** Thrown when a history is not one of a rewind runbook run. */
export class NotARunError extends Error {
  constructor(
    message: string,
    readonly workflowId: string,
  ) {
    super(message);
    this.name = 'NotARunError';
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const t = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);

function isRunInput(v: unknown): v is RunInput {
  const i = obj(v);
  return (
    Array.isArray(obj(i.runbook).steps) &&
    typeof obj(i.target).app === 'string' &&
    typeof obj(obj(i.request).requester).handle === 'string'
  );
}

function isRunStatus(v: unknown): v is RunStatus {
  const s = obj(v);
  return typeof s.phase === 'string' && Array.isArray(s.steps) && typeof s.startedAt === 'string';
}

export function runTimelineFromHistory(history: History, ids: { workflowId: string; runId: string }): RunTimeline {
  return runTimelineFromDecoded(decodeHistory(history), ids);
}

export function runTimelineFromDecoded(h: DecodedHistory, ids: { workflowId: string; runId: string }): RunTimeline {
  const input = h.input[0];
  if (h.workflowType !== 'runbookWorkflow' || !isRunInput(input))
    throw new NotARunError(
      `${ids.workflowId} is a ${h.workflowType || 'unknown'} workflow, not a rewind runbook run`,
      ids.workflowId,
    );
  const status = h.close?.state === 'completed' && isRunStatus(h.close.result) ? h.close.result : undefined;
  const { target, request, runbook } = input;
  const webUrl = target.repo.webUrl;
  const runId = ids.runId;
  const steps = runbook.steps;
  const work = h.activities.filter((a) => !NOTIFY_ACTIVITIES.has(a.type));

  const { spans, owner } = status ? spansFromStatus(status, work, runId) : inferSpans(h, input, work, runId);
  const byStep = new Map<string, ActivityRecord[]>();
  for (const [a, step] of owner) byStep.set(step, [...(byStep.get(step) ?? []), a]);
  const lastStepEnd = Math.max(
    ...spans.map((s) => t(s.end ?? s.start)).filter((x) => !Number.isNaN(x)),
    t(h.firstTaskAt ?? h.startedAt),
  );

  const events: TimelineEntry[] = [];
  const push = (e: Omit<TimelineEntry, 'source' | 'runId'>) => {
    const links = evidenceLinks(e.evidence, webUrl);
    events.push({ ...e, source: 'run', runId, ...(links.length ? { links } : {}) });
  };

  const requestedAt = h.firstTaskAt ?? h.startedAt;
  push({
    at: requestedAt,
    kind: 'run',
    actor: request.requester.handle,
    summary: `${runbook.name} of ${target.app}/${target.env} requested via ${request.source}: ${request.reason}`,
    ...(request.incidentId ? { evidence: { incident: request.incidentId } } : {}),
  });
  // The promotion watch's first failed verification: the incident's detection, as the run recorded it.
  if (request.trigger) push(triggerAlert(target, request.trigger));

  const stepOf = (name: string): RunbookStep | undefined => steps.find((s) => s.name === name);
  for (const span of spans) {
    if (span.start)
      push({ at: span.start, kind: 'step', step: span.step, actor: 'rewind', summary: `${span.step} started` });
    if (
      span.kind === 'approve' &&
      span.start &&
      request.preApproved &&
      target.approval.required &&
      target.approval.allowCliYes &&
      request.source !== 'drill'
    ) {
      push({
        at: span.start,
        kind: 'approval',
        actor: request.requester.handle,
        summary: 'approved with --yes (allowed by policy)',
      });
    }
    if (span.end && span.state !== 'running' && span.state !== 'pending') {
      const kind = stepOf(span.step)?.kind ?? span.kind;
      const evidence =
        span.state === 'done' ? stepEvidence(kind, byStep.get(span.step) ?? [], input, h.activities) : undefined;
      push({
        at: span.end,
        kind: span.state === 'failed' ? 'failure' : 'step',
        step: span.step,
        actor: 'rewind',
        summary: `${span.step}: ${span.summary ?? span.state}`,
        ...(span.state === 'failed' ? { severity: 'error' as const } : {}),
        ...(evidence ? { evidence } : {}),
      });
    }
  }

  const approvals: Array<{ by: string; decision: 'approve' | 'reject' }> = [];
  for (const u of h.updates) {
    const arg = obj(u.args[0]);
    const by = str(obj(arg.by).handle) ?? u.identity ?? 'unknown';
    const comment = str(arg.comment);
    if (u.name === 'decide') {
      const decision = (arg as Partial<Decision>).decision === 'reject' ? 'reject' : 'approve';
      approvals.push({ by, decision });
      push({
        at: u.at,
        kind: 'approval',
        actor: by,
        summary: `${decision === 'approve' ? 'approved' : 'rejected'}${comment ? `: ${comment}` : ''}`,
      });
    } else if (u.name === 'resolve') {
      push({
        at: u.at,
        kind: 'note',
        actor: by,
        summary: `resolve requested${comment ? `: ${comment}` : ''}: verifying that Git holds the live change`,
      });
    } else if (u.name === 'abandon') {
      push({
        at: u.at,
        kind: 'note',
        actor: by,
        summary: `abandon confirmed${comment ? `: ${comment}` : ''}: resuming auto-sync, Git wins`,
      });
    } else if (u.name === 'cancel') {
      const reason = str(arg.reason);
      push({ at: u.at, kind: 'note', actor: by, summary: `cancel requested${reason ? `: ${reason}` : ''}` });
    }
  }
  // Runs from before cancel became an update carry it as a signal.
  for (const s of h.signals.filter((x) => x.name === 'cancel')) {
    const arg = obj(s.args[0]);
    const reason = str(arg.reason);
    push({
      at: s.at,
      kind: 'note',
      actor: str(obj(arg.by).handle) ?? s.identity ?? 'unknown',
      summary: `cancel requested${reason ? `: ${reason}` : ''}`,
    });
  }

  const posted = h.activities.find((a) => a.type === 'publishRunMessage' && a.status === 'completed' && a.result);
  const message = posted ? obj(posted.result) : undefined;
  if (posted && message) {
    push({
      at: posted.closedAt ?? posted.scheduledAt,
      kind: 'evidence',
      actor: 'rewind',
      summary: 'posted the plan to Slack',
      evidence: clean({ channel: str(message.channel), ts: str(message.ts), permalink: str(message.permalink) }),
    });
  }
  for (const a of h.activities.filter(
    (x) => x.type === 'publishRunMessage' && (x.status === 'failed' || x.status === 'timed-out'),
  )) {
    push({
      at: a.closedAt ?? a.scheduledAt,
      kind: 'failure',
      actor: 'rewind',
      summary: `Slack update failed: ${a.failure ?? a.status}`,
      severity: 'error',
    });
  }
  for (const a of h.activities.filter((x) => x.attempt > 1)) {
    const step = owner.get(a);
    push({
      at: a.closedAt ?? a.scheduledAt,
      kind: 'retry',
      actor: 'rewind',
      ...(step ? { step } : {}),
      severity: 'warning',
      summary:
        `${a.type} ${a.status === 'completed' ? 'succeeded' : a.status === 'scheduled' ? 'is running' : 'ended'}` +
        ` on attempt ${a.attempt}${a.lastFailure ? ` after: ${a.lastFailure}` : ''}`,
      evidence: { activity: a.type, attempts: a.attempt },
    });
  }

  // Pause held after the steps: the run reminds on a timer until resolved or abandoned.
  const pausedBy = [...work].reverse().find((a) => a.type === 'pauseAutoSync' && a.status === 'completed');
  const resumed = work.some(
    (a) =>
      a.type === 'resumeAutoSync' && a.status === 'completed' && pausedBy && t(a.scheduledAt) > t(pausedBy.scheduledAt),
  );
  const policy = pausedBy ? obj(pausedBy.result).policy : undefined;
  const lease = obj(obj(pausedBy?.input).lease);
  const stoppedAfterPause =
    !!pausedBy &&
    spans.some(
      (s) =>
        s.state === 'failed' ||
        (s.state === 'skipped' &&
          s.summary !== 'auto-sync was off before this run: left off as found' &&
          s.kind !== 'approve'),
    );
  const held = stoppedAfterPause && (status ? ['held-paused', 'resolved', 'abandoned'].includes(status.phase) : true);
  if (held) {
    push({
      at: new Date(lastStepEnd).toISOString(),
      kind: 'note',
      actor: 'rewind',
      summary:
        `Auto-sync of ${target.app}/${target.env} stays PAUSED: the run stopped after the pause. The ` +
        `live change is not in Git yet. Resolve (once Git holds it) or abandon (resume and let Git win).`,
    });
    const pauseStep = steps.find((s) => s.kind === 'pauseAutoSync');
    const remindMs = Number(pauseStep?.with.remindEveryMinutes ?? 15) * 60_000;
    // One entry for all reminders, as the workflow keeps it (workflows/run-state.ts recordReminder).
    const fired = h.timers.filter((x) => x.firedAt && t(x.startedAt) >= lastStepEnd && x.durationMs === remindMs);
    if (fired.length) {
      push({
        at: fired.at(-1)!.firedAt!,
        kind: 'note',
        actor: 'rewind',
        summary:
          `reminded the channel ${fired.length} time(s), every ${Math.round(remindMs / 60_000)} min: ` +
          `auto-sync of ${target.app}/${target.env} paused since ${str(lease.pausedAt) ?? '?'}`,
        evidence: { reminders: fired.length },
      });
    }
  }

  const execution: ExecutionState = h.close?.state ?? 'running';
  const outcome: RunPhase = status?.phase ?? inferOutcome(execution, spans, held);
  const result = status?.result ?? closeText(h);
  if (h.close) {
    if (status?.result) push({ at: h.close.at, kind: 'run', actor: 'rewind', summary: status.result });
    else
      push({
        at: h.close.at,
        kind: execution === 'failed' || execution === 'timed-out' ? 'failure' : 'note',
        actor: h.close.identity ?? 'temporal',
        summary: result ?? execution,
      });
  }

  const ref = targetRef(target);
  const stillPaused = status
    ? status.pause
    : pausedBy && !resumed && policy !== undefined && !h.close
      ? { since: str(lease.pausedAt) ?? pausedBy.scheduledAt, lease: { expiresAt: str(lease.expiresAt) } }
      : undefined;
  const run: TimelineRun = runOf({
    workflowId: ids.workflowId,
    runId,
    input,
    ...(status ? { status } : {}),
    source: 'history',
    execution,
    startedAt: status?.startedAt ?? requestedAt,
    ...(h.close ? { endedAt: h.close.at } : {}),
    outcome,
    ...(result ? { result } : {}),
    approvals: status?.approvals ?? approvals,
    ...(stillPaused
      ? {
          pause: {
            since: stillPaused.since,
            ...(stillPaused.lease.expiresAt ? { leaseExpiresAt: stillPaused.lease.expiresAt } : {}),
            engine: engineLabel(ref),
          },
        }
      : {}),
    ...(str(message?.permalink) ? { slackPermalink: str(message?.permalink) } : {}),
    ...(revertOf(work) ? { revertSha: revertOf(work) } : {}),
    ...(commitOf(work) ? { commitSha: commitOf(work) } : {}),
  });
  const partial = status ? '' : '; no final status (run not completed): step spans inferred from activities';
  return {
    run,
    events,
    spans,
    notes: [
      {
        kind: 'history',
        detail: `${ids.workflowId} (${runId}): rebuilt from ${h.eventCount} history events${partial}`,
        ok: true,
      },
    ],
  };
}

function clean(e: Record<string, string | undefined>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

const revertOf = (acts: ActivityRecord[]) =>
  str(obj(acts.filter((a) => a.type === 'revertPromotion' && a.status === 'completed').at(-1)?.result).revertSha);
const commitOf = (acts: ActivityRecord[]) =>
  str(obj(acts.filter((a) => a.type === 'commitLiveChange' && a.status === 'completed').at(-1)?.result).sha);

function closeText(h: DecodedHistory): string | undefined {
  const c = h.close;
  if (!c) return undefined;
  switch (c.state) {
    case 'terminated':
      return `Terminated${c.identity ? ` by ${c.identity}` : ''}${c.reason ? `: ${c.reason}` : ''}`;
    case 'failed':
      return `Workflow failed: ${c.failure ?? 'unknown error'}`;
    case 'cancelled':
      return 'Workflow cancelled';
    case 'timed-out':
      return 'Workflow timed out';
    case 'continued-as-new':
      return 'Continued as a new run';
    default:
      return undefined;
  }
}

function inferOutcome(execution: ExecutionState, spans: StepSpan[], held: boolean): RunPhase {
  if (execution === 'cancelled') return 'cancelled';
  if (execution !== 'running') return 'failed';
  if (held) return 'held-paused';
  const running = spans.find((s) => s.state === 'running');
  if (running?.kind === 'approve') return 'awaiting-approval';
  if (!running || running.kind === 'planRollback' || running.kind === 'planEmergency')
    return spans.some((s) => s.state === 'done') && running ? 'running' : 'planning';
  return 'running';
}

/**
 * Completed run: its RunStatus has every step's times; activities belong to the step whose [start,
 * end) holds their scheduling.
 */
function spansFromStatus(
  status: RunStatus,
  work: ActivityRecord[],
  runId: string,
): { spans: StepSpan[]; owner: Map<ActivityRecord, string> } {
  const owner = new Map<ActivityRecord, string>();
  for (const a of work) {
    const at = t(a.scheduledAt);
    const s = status.steps.find((x) => x.startedAt && x.endedAt && at >= t(x.startedAt) && at < t(x.endedAt));
    if (s) owner.set(a, s.name);
  }
  return { spans: status.steps.map((s) => spanOf(s, runId, retriesOf(owner, s.name))), owner };
}

const retriesOf = (owner: Map<ActivityRecord, string>, step: string): number =>
  [...owner].filter(([, s]) => s === step).reduce((n, [a]) => n + Math.max(0, a.attempt - 1), 0);

/**
 * Run without a final status (running with no worker, terminated, failed): walk the activities in
 * schedule order and give each to the first step, from the current one on, whose kind schedules
 * that activity type. Steps the walk passed without activities (approve) ended when the next began.
 */
function inferSpans(
  h: DecodedHistory,
  input: RunInput,
  work: ActivityRecord[],
  runId: string,
): { spans: StepSpan[]; owner: Map<ActivityRecord, string> } {
  const steps = input.runbook.steps;
  const owner = new Map<ActivityRecord, string>();
  const assigned: ActivityRecord[][] = steps.map(() => []);
  let cur = 0;
  for (const a of work) {
    const j = steps.findIndex((s, k) => k >= cur && STEP_ACTIVITIES[s.kind].includes(a.type));
    if (j < 0) continue; // after the steps: the held pause's own checks
    cur = j;
    assigned[j]!.push(a);
    owner.set(a, steps[j]!.name);
  }
  const lastReached = assigned.reduce((m, acts, i) => (acts.length ? i : m), -1);
  const open = !h.close;
  const statuses: StepStatus[] = [];
  let prevEnd = h.firstTaskAt ?? h.startedAt;
  steps.forEach((s, i) => {
    const acts = assigned[i]!;
    const st: StepStatus = { name: s.name, kind: s.kind, state: 'pending' };
    if (acts.length) {
      const failed = acts.find(
        (a) =>
          (a.status === 'failed' || a.status === 'timed-out') &&
          !acts.some((b) => b.type === a.type && t(b.scheduledAt) > t(a.scheduledAt) && b.status === 'completed'),
      );
      const pending = acts.some((a) => a.status === 'scheduled');
      st.startedAt = i === 0 ? prevEnd : acts[0]!.scheduledAt;
      if (pending && open) st.state = 'running';
      else {
        st.state = failed ? 'failed' : 'done';
        st.endedAt = acts.reduce(
          (m, a) => (a.closedAt && t(a.closedAt) > t(m) ? a.closedAt : m),
          acts[0]!.closedAt ?? acts[0]!.scheduledAt,
        );
        st.summary = failed ? (failed.failure ?? 'failed') : 'done (rebuilt from history)';
        if (failed) st.error = st.summary;
      }
    } else if (i < lastReached) {
      const nextStart = assigned.slice(i + 1).find((x) => x.length)?.[0]?.scheduledAt ?? prevEnd;
      const notRequired = s.kind === 'approve' && (!input.target.approval.required || input.request.source === 'drill');
      Object.assign(st, {
        state: notRequired ? 'skipped' : 'done',
        startedAt: prevEnd,
        endedAt: nextStart,
        summary: notRequired ? 'approval not required by policy' : 'done (rebuilt from history)',
      });
    } else if (i === lastReached + 1 && open && (lastReached < 0 || statuses[lastReached]?.state === 'done')) {
      Object.assign(st, { state: 'running', startedAt: prevEnd });
    }
    if (st.endedAt) prevEnd = st.endedAt;
    statuses.push(st);
  });
  return { spans: statuses.map((s) => spanOf(s, runId, retriesOf(owner, s.name))), owner };
}
