/**
 * Temporal history → plain records: the start input, every activity (type, input, result or
 * failure, attempts), accepted updates, signals, timers and how the execution closed. Events are
 * recognized by which `*EventAttributes` field is set, so no proto enum import is needed; payloads
 * go through the default payload converter (rewind uses no codec).
 *
 * Works on what `handle.fetchHistory()` returns and on `historyFromJSON(...)` of a history file.
 * Retries of an activity are not separate events: the one ActivityTaskStarted written at the end
 * carries the final `attempt` and the `lastFailure` that caused the last retry.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { ExecutionState } from './model.js';

type HistoryEvent = NonNullable<History['events']>[number];
type Payloads = { payloads?: Payload[] | null } | null | undefined;
interface FailureLike {
  message?: string | null;
  cause?: FailureLike | null;
}

export interface ActivityRecord {
  scheduledEventId: string;
  type: string;
  input: unknown;
  scheduledAt: string;
  closedAt?: string;
  /** Final attempt number (1 = no retry). */
  attempt: number;
  status: 'scheduled' | 'completed' | 'failed' | 'timed-out' | 'cancelled';
  result?: unknown;
  failure?: string;
  /** The failure that caused the last retry, if any. */
  lastFailure?: string;
}

export interface MessageRecord {
  name: string;
  args: unknown[];
  at: string;
  identity?: string;
}
export interface TimerRecord {
  timerId: string;
  startedAt: string;
  durationMs: number;
  firedAt?: string;
  cancelled?: boolean;
}

export interface DecodedHistory {
  workflowType: string;
  input: unknown[];
  /** WorkflowExecutionStarted time. */
  startedAt: string;
  /** Time of the first workflow task: the workflow's own clock for its first records. */
  firstTaskAt?: string;
  activities: ActivityRecord[];
  updates: MessageRecord[];
  signals: MessageRecord[];
  timers: TimerRecord[];
  close?: { state: ExecutionState; at: string; result?: unknown; failure?: string; reason?: string; identity?: string };
  eventCount: number;
}

interface TimestampLike {
  seconds?: unknown;
  nanos?: number | null;
}

/** Protobuf Timestamp (seconds as a Long) → ISO with ms. */
export function timestampIso(ts: TimestampLike | null | undefined): string {
  if (!ts) return new Date(0).toISOString();
  const ms = Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

function durationMs(d: TimestampLike | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function decodePayloads(p: Payloads): unknown[] {
  return (p?.payloads ?? []).map((payload) => {
    try {
      return defaultPayloadConverter.fromPayload(payload);
    } catch (err) {
      return { undecodable: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** The innermost message: an ActivityFailure's own message only says "activity failed". */
export function failureText(f: FailureLike | null | undefined): string | undefined {
  if (!f) return undefined;
  let cur: FailureLike = f;
  while (cur.cause) cur = cur.cause;
  return cur.message ?? f.message ?? undefined;
}

const id = (v: unknown): string => String(v ?? '');

export function decodeHistory(history: History): DecodedHistory {
  const events: HistoryEvent[] = history.events ?? [];
  const out: DecodedHistory = {
    workflowType: '',
    input: [],
    startedAt: new Date(0).toISOString(),
    activities: [],
    updates: [],
    signals: [],
    timers: [],
    eventCount: events.length,
  };
  const activities = new Map<string, ActivityRecord>();
  const timers = new Map<string, TimerRecord>();

  for (const e of events) {
    const at = timestampIso(e.eventTime as TimestampLike);
    const eid = id(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      out.workflowType = a.workflowType?.name ?? '';
      out.input = decodePayloads(a.input);
      out.startedAt = at;
    } else if (e.workflowTaskStartedEventAttributes) {
      out.firstTaskAt ??= at;
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      const rec: ActivityRecord = {
        scheduledEventId: eid,
        type: a.activityType?.name ?? '?',
        input: decodePayloads(a.input)[0],
        scheduledAt: at,
        attempt: 1,
        status: 'scheduled',
      };
      activities.set(eid, rec);
      out.activities.push(rec);
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const rec = activities.get(id(a.scheduledEventId));
      if (rec) {
        rec.attempt = a.attempt ?? 1;
        const last = failureText(a.lastFailure as FailureLike);
        if (last) rec.lastFailure = last;
      }
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const rec = activities.get(id(a.scheduledEventId));
      if (rec) Object.assign(rec, { status: 'completed', closedAt: at, result: decodePayloads(a.result)[0] });
    } else if (e.activityTaskFailedEventAttributes) {
      const a = e.activityTaskFailedEventAttributes;
      const rec = activities.get(id(a.scheduledEventId));
      if (rec)
        Object.assign(rec, {
          status: 'failed',
          closedAt: at,
          failure: failureText(a.failure as FailureLike) ?? 'failed',
        });
    } else if (e.activityTaskTimedOutEventAttributes) {
      const a = e.activityTaskTimedOutEventAttributes;
      const rec = activities.get(id(a.scheduledEventId));
      if (rec)
        Object.assign(rec, {
          status: 'timed-out',
          closedAt: at,
          failure: failureText(a.failure as FailureLike) ?? 'timed out',
        });
    } else if (e.activityTaskCanceledEventAttributes) {
      const a = e.activityTaskCanceledEventAttributes;
      const rec = activities.get(id(a.scheduledEventId));
      if (rec) Object.assign(rec, { status: 'cancelled', closedAt: at });
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const req = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      out.updates.push({
        name: req?.input?.name ?? '?',
        args: decodePayloads(req?.input?.args),
        at,
        ...(req?.meta?.identity ? { identity: req.meta.identity } : {}),
      });
    } else if (e.workflowExecutionSignaledEventAttributes) {
      const a = e.workflowExecutionSignaledEventAttributes;
      out.signals.push({
        name: a.signalName ?? '?',
        args: decodePayloads(a.input),
        at,
        ...(a.identity ? { identity: a.identity } : {}),
      });
    } else if (e.timerStartedEventAttributes) {
      const a = e.timerStartedEventAttributes;
      const rec: TimerRecord = {
        timerId: a.timerId ?? eid,
        startedAt: at,
        durationMs: durationMs(a.startToFireTimeout as TimestampLike),
      };
      timers.set(rec.timerId, rec);
      out.timers.push(rec);
    } else if (e.timerFiredEventAttributes) {
      const rec = timers.get(e.timerFiredEventAttributes.timerId ?? '');
      if (rec) rec.firedAt = at;
    } else if (e.timerCanceledEventAttributes) {
      const rec = timers.get(e.timerCanceledEventAttributes.timerId ?? '');
      if (rec) rec.cancelled = true;
    } else if (e.workflowExecutionCompletedEventAttributes) {
      out.close = {
        state: 'completed',
        at,
        result: decodePayloads(e.workflowExecutionCompletedEventAttributes.result)[0],
      };
    } else if (e.workflowExecutionFailedEventAttributes) {
      out.close = {
        state: 'failed',
        at,
        failure: failureText(e.workflowExecutionFailedEventAttributes.failure as FailureLike) ?? 'failed',
      };
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      const a = e.workflowExecutionTerminatedEventAttributes;
      out.close = {
        state: 'terminated',
        at,
        ...(a.reason ? { reason: a.reason } : {}),
        ...(a.identity ? { identity: a.identity } : {}),
      };
    } else if (e.workflowExecutionCanceledEventAttributes) {
      out.close = { state: 'cancelled', at };
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      out.close = { state: 'timed-out', at };
    } else if (e.workflowExecutionContinuedAsNewEventAttributes) {
      out.close = { state: 'continued-as-new', at };
    }
  }
  return out;
}
