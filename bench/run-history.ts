/**
 * A rollback's time split from its Temporal history: activity execution and timers (waiting on
 * git, the engine, the rollout, Slack) against the rest (task dispatch, workflow tasks, activity
 * queueing), which is what the worker and Temporal add. Shared by the worker-overhead and
 * fleet-runs benchmarks.
 */
import type { temporal } from '@temporalio/proto';
import type { RunStatus } from '../workflows/types.js';

type Interval = [number, number];
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const ms = (e: HistoryEvent): number =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
const idOf = (v: unknown): number => Number(v ?? 0);

/** Total length of the union of intervals, optionally clipped to [from, to]. */
export function unionMs(intervals: Interval[], from = -Infinity, to = Infinity): number {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as Interval)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0,
    end = -Infinity;
  for (const [a, b] of clipped) {
    if (a > end) {
      total += b - a;
      end = b;
    } else if (b > end) {
      total += b - end;
      end = b;
    }
  }
  return total;
}

interface Activity {
  name: string;
  scheduled: number;
  started?: number;
  closed?: number;
}

export interface RunBreakdown {
  totalMs: number;
  activityExecMs: number;
  timerMs: number;
  overheadMs: number;
  activityQueueMs: number;
  workflowTaskMs: number;
  workflowTasks: number;
  /** Each activity task's Scheduled → Started (queueing: waiting for a free slot and a poll). */
  activityQueueSamplesMs: number[];
  /** Each workflow task's Scheduled → Completed. */
  workflowTaskSamplesMs: number[];
  byActivity: Record<string, { count: number; execMs: number; queueMs: number }>;
  steps: Array<{ name: string; state: string; durationMs: number; waitingMs: number; overheadMs: number }>;
}

export function analyze(events: HistoryEvent[], status: RunStatus): RunBreakdown {
  const acts = new Map<number, Activity>();
  const timers = new Map<string, number>();
  const timerIntervals: Interval[] = [];
  const wft = new Map<number, number>();
  const workflowTaskSamplesMs: number[] = [];
  let workflowTaskMs = 0,
    workflowTasks = 0,
    t0 = 0,
    t1 = 0;
  for (const e of events) {
    const t = ms(e),
      id = idOf(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) t0 = t;
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes) t1 = t;
    if (e.workflowTaskScheduledEventAttributes) wft.set(id, t);
    const wfDone =
      e.workflowTaskCompletedEventAttributes ??
      e.workflowTaskFailedEventAttributes ??
      e.workflowTaskTimedOutEventAttributes;
    if (wfDone) {
      const sched = wft.get(idOf(wfDone.scheduledEventId));
      if (sched !== undefined) {
        workflowTaskMs += t - sched;
        workflowTasks++;
        workflowTaskSamplesMs.push(t - sched);
      }
    }
    const a = e.activityTaskScheduledEventAttributes;
    if (a) acts.set(id, { name: a.activityType?.name ?? '?', scheduled: t });
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      const x = acts.get(idOf(st.scheduledEventId));
      if (x) x.started = t;
    }
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (done) {
      const x = acts.get(idOf(done.scheduledEventId));
      if (x) x.closed = t;
    }
    if (e.timerStartedEventAttributes) timers.set(e.timerStartedEventAttributes.timerId ?? '', t);
    const fired = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
    if (fired) {
      const s = timers.get(fired.timerId ?? '');
      if (s !== undefined) timerIntervals.push([s, t]);
    }
  }
  const list = [...acts.values()];
  const exec: Interval[] = list
    .filter((a) => a.started !== undefined && a.closed !== undefined)
    .map((a) => [a.started!, a.closed!]);
  const waiting: Interval[] = [...exec, ...timerIntervals];
  const totalMs = t1 - t0;
  const byActivity: RunBreakdown['byActivity'] = {};
  for (const a of list) {
    const row = (byActivity[a.name] ??= { count: 0, execMs: 0, queueMs: 0 });
    row.count++;
    if (a.started !== undefined) row.queueMs += a.started - a.scheduled;
    if (a.started !== undefined && a.closed !== undefined) row.execMs += a.closed - a.started;
  }
  const steps = status.steps
    .filter((s) => s.startedAt && s.endedAt)
    .map((s) => {
      const from = Date.parse(s.startedAt!),
        to = Date.parse(s.endedAt!);
      const w = unionMs(waiting, from, to);
      return { name: s.name, state: s.state, durationMs: to - from, waitingMs: w, overheadMs: to - from - w };
    });
  const activityExecMs = unionMs(exec);
  const timerMs = unionMs(timerIntervals);
  return {
    totalMs,
    activityExecMs,
    timerMs,
    overheadMs: totalMs - unionMs(waiting),
    activityQueueMs: list.reduce((n, a) => n + (a.started !== undefined ? a.started - a.scheduled : 0), 0),
    workflowTaskMs,
    workflowTasks,
    activityQueueSamplesMs: list.filter((a) => a.started !== undefined).map((a) => a.started! - a.scheduled),
    workflowTaskSamplesMs,
    byActivity,
    steps,
  };
}
