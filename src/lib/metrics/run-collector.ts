/**
 * Run metrics from Temporal itself: every few seconds, the runs that started or closed since this
 * process started are read from visibility, and each closed run's returned status (phase, steps
 * with their start and end times, time to restore) feeds the counters and histograms.
 *
 * Why this way: the run's own status is the one source that knows step kinds and outcomes, and
 * reading it after the fact needs no change to workflow code (no interceptor to bundle, nothing
 * that could make a replay diverge). The cost is a few visibility calls per poll, cheap next to
 * the rate of incidents.
 *
 * Counted once across replicas: each run is counted by the worker whose identity completed its
 * first workflow task (started) and its last one (finished), read from the run's history, so two
 * pods during a rolling update, or several replicas, never count a run twice. A run that closes
 * while its worker is down is missed rather than double-counted after a restart.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { RewindRunbook } from '../temporal/search-attributes.js';
import type { RunInput, RunStatus } from '../../../workflows/types.js';
import { every } from './every.js';
import type { RewindMetrics, RunSource } from './rewind-metrics.js';

/** The part of a history event this collector reads (protobuf-decoded, so absent fields may be null). */
export interface HistoryEventLike {
  workflowTaskCompletedEventAttributes?: { identity?: string | null } | null;
  workflowExecutionStartedEventAttributes?: { input?: { payloads?: unknown[] | null } | null } | null;
}

/** Identity of the worker that completed the first (or, with `last`, the latest) workflow task in `events`. */
export function completingIdentity(events: readonly HistoryEventLike[]): string | undefined {
  const hit = events.find((e) => e.workflowTaskCompletedEventAttributes);
  return hit?.workflowTaskCompletedEventAttributes?.identity ?? undefined;
}

/** Hooks for what else follows a run's start and end (src/lib/cdevents). */
export interface RunEvents {
  /** `runKey` is `<workflow id>/<run id>` of the run's first execution. */
  started(input: RunInput, runKey: string, startedAt: string): void;
  finished(status: RunStatus, input: RunInput | undefined, runKey: string): void;
}

export interface RunCollectorOptions {
  client: Client;
  namespace: string;
  /** The worker's identity (`worker.options.identity`): only runs it executed are counted here. */
  identity: string;
  metrics: Pick<RewindMetrics, 'runStarted' | 'runFinished' | 'runClosed'>;
  log?: Logger;
  intervalMs?: number;
  /** How far back each poll looks again, to absorb visibility lag; seen runs are remembered this long. */
  lookbackMs?: number;
  /** Runs started or closed before this are never counted (default: now). */
  since?: Date;
  workflowType?: string;
  /** Told of each run this worker started and finished (CDEvents); never awaited for long. */
  events?: RunEvents;
  /** Poll on a timer (default true); false leaves polling to pollOnce() (tests). */
  autoPoll?: boolean;
}

export interface RunCollector {
  /** One poll (the loop calls it; tests may too). */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

const PAGES = 10;

export function startRunCollector(opts: RunCollectorOptions): RunCollector {
  const { client, namespace, identity, metrics } = opts;
  const intervalMs = opts.intervalMs ?? 15_000,
    lookbackMs = opts.lookbackMs ?? 10 * 60_000;
  const since = (opts.since ?? new Date()).getTime();
  const type = opts.workflowType ?? 'runbookWorkflow';
  const started = new Map<string, number>(),
    finished = new Map<string, number>();

  /** Reads history forward (first task's worker, and the run's input) or backward (latest task's worker). */
  const read = async (
    workflowId: string,
    runId: string,
    last: boolean,
  ): Promise<{ owner?: string; input?: RunInput }> => {
    let nextPageToken: Uint8Array | undefined, input: RunInput | undefined;
    for (let page = 0; page < PAGES; page++) {
      const req = {
        namespace,
        execution: { workflowId, runId },
        maximumPageSize: 50,
        ...(nextPageToken ? { nextPageToken } : {}),
      };
      const res = last
        ? await client.workflowService.getWorkflowExecutionHistoryReverse(req)
        : await client.workflowService.getWorkflowExecutionHistory(req);
      const events: HistoryEventLike[] = res.history?.events ?? [];
      input ??= decodeInput(events);
      const owner = completingIdentity(events);
      if (owner !== undefined) return { owner, ...(input ? { input } : {}) };
      if (!res.nextPageToken?.length) break;
      nextPageToken = res.nextPageToken;
    }
    return input ? { input } : {};
  };
  // Who asked (slack, cli, drill) is in the run's input, the first history event: drills start runbook
  // runs as child workflows without rewind's search attributes, so the input names the runbook too.
  const decodeInput = (events: HistoryEventLike[]): RunInput | undefined => {
    const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) return undefined;
    try {
      return client.options.loadedDataConverter.payloadConverter.fromPayload(payload as never) as RunInput;
    } catch {
      return undefined;
    }
  };
  const sourceOf = (input: RunInput | undefined): RunSource => input?.request?.source ?? 'unknown';

  const prune = (seen: Map<string, number>, before: number) => {
    for (const [k, at] of seen) if (at < before) seen.delete(k);
  };

  async function pollOnce(): Promise<void> {
    const now = Date.now();
    const from = Math.max(since, now - lookbackMs);
    prune(started, now - lookbackMs);
    prune(finished, now - lookbackMs);
    const at = new Date(from).toISOString();

    for await (const wf of client.workflow.list({ query: `WorkflowType = '${type}' AND StartTime >= '${at}'` })) {
      if (started.has(wf.runId) || wf.startTime.getTime() < since) continue;
      const { owner, input } = await read(wf.workflowId, wf.runId, false);
      if (owner === undefined) continue; // no workflow task completed yet: look again next poll
      started.set(wf.runId, wf.startTime.getTime());
      if (owner === identity) {
        metrics.runStarted(
          input?.runbook?.name ?? wf.typedSearchAttributes.get(RewindRunbook) ?? 'unknown',
          sourceOf(input),
        );
        // A held run that continued as new is the same incident: only its first execution reports it.
        if (input && !input.resume)
          opts.events?.started(input, `${wf.workflowId}/${wf.runId}`, wf.startTime.toISOString());
      }
    }

    for await (const wf of client.workflow.list({ query: `WorkflowType = '${type}' AND CloseTime >= '${at}'` })) {
      const closedAt = wf.closeTime?.getTime();
      if (finished.has(wf.runId) || closedAt === undefined || closedAt < since) continue;
      const { owner } = await read(wf.workflowId, wf.runId, true);
      finished.set(wf.runId, closedAt);
      // A run terminated before any worker touched it has no owner: nobody counts it.
      if (owner !== identity) continue;
      const { input } = await read(wf.workflowId, wf.runId, false);
      const runbook = input?.runbook?.name ?? wf.typedSearchAttributes.get(RewindRunbook) ?? 'unknown',
        source = sourceOf(input);
      switch (wf.status.name) {
        case 'COMPLETED': {
          const status = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as RunStatus;
          metrics.runFinished(status, source);
          opts.events?.finished(status, input, `${wf.workflowId}/${status.runId ?? wf.runId}`);
          break;
        }
        case 'TERMINATED':
          metrics.runClosed(runbook, source, 'terminated');
          break;
        case 'TIMED_OUT':
          metrics.runClosed(runbook, source, 'timed-out');
          break;
        case 'CANCELLED':
          metrics.runClosed(runbook, source, 'workflow-cancelled');
          break;
        default:
          // the interpreter returns a status rather than failing: this is a bug
          metrics.runClosed(runbook, source, 'workflow-failed');
      }
    }
  }

  const timer =
    (opts.autoPoll ?? true)
      ? every(
          intervalMs,
          pollOnce,
          (err) =>
            opts.log?.warn({ err }, 'run metrics: reading Temporal visibility failed; retrying at the next poll'),
          Math.min(intervalMs, 1000),
        )
      : undefined;
  return { pollOnce, stop: async () => timer?.stop() };
}
