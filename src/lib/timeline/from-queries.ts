/**
 * Source (a): a run's own record: the result it ended with (its final status and timeline), or,
 * while it runs, its `status` and `timeline` queries. Exact (the workflow wrote it); the queries
 * need a worker to answer; see ./from-history.ts for when none runs.
 */
import { TERMINAL_PHASES, type RunStatus, type TargetSnapshot, type TimelineEvent } from '../../../workflows/types.js';
import type { ExecutionState, RunTimeline } from './model.js';
import { entryOf, runOf, spanOf, targetRef, engineLabel } from './run-record.js';

export interface QueryRead {
  workflowId: string;
  runId: string;
  status: RunStatus;
  timeline: TimelineEvent[];
  execution: ExecutionState;
  closedAt?: string;
  /** The run's target; from rewind.yaml at export time (the queries do not return the snapshot). */
  target: TargetSnapshot;
  /** Where status and timeline came from: the queries, or the result the run ended with. @default 'queries' */
  from?: 'queries' | 'result';
}

export function runTimelineFromQueries(q: QueryRead): RunTimeline {
  const { status, target } = q;
  const runEvents = q.timeline.filter((e) => e.kind === 'run');
  const ended = q.execution !== 'running' || TERMINAL_PHASES.includes(status.phase);
  const endedAt = q.closedAt ?? (ended && runEvents.length > 1 ? runEvents.at(-1)?.at : undefined);
  const permalink = q.timeline.find((e) => typeof e.evidence?.permalink === 'string')?.evidence?.permalink;
  const ref = targetRef(target);
  const run = runOf({
    workflowId: q.workflowId,
    runId: q.runId,
    input: {
      runbook: { name: status.runbook, description: '', version: 0, steps: [] },
      target,
      request: {
        requester: { handle: status.requester, name: status.requester, email: '' },
        reason: status.reason,
        source: 'cli',
        ...(status.incidentId ? { incidentId: status.incidentId } : {}),
      },
    },
    status,
    source: 'query',
    execution: q.execution,
    startedAt: status.startedAt,
    ...(endedAt ? { endedAt } : {}),
    outcome: status.phase,
    ...(status.result ? { result: status.result } : {}),
    approvals: status.approvals,
    ...(status.pause
      ? { pause: { since: status.pause.since, leaseExpiresAt: status.pause.lease.expiresAt, engine: engineLabel(ref) } }
      : {}),
    ...(typeof permalink === 'string' ? { slackPermalink: permalink } : {}),
  });
  return {
    run,
    events: q.timeline.map((e) => entryOf(e, q.runId, target.repo.webUrl)),
    spans: status.steps.map((s) => spanOf(s, q.runId)),
    notes: [
      {
        kind: 'query',
        detail:
          q.from === 'result'
            ? `${q.workflowId} (${q.runId}): the status and timeline the run ended with`
            : `${q.workflowId} (${q.runId}): status and timeline queries`,
        ok: true,
      },
    ],
  };
}
