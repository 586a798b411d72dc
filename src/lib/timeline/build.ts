/**
 * Builds a TimelineDocument for one run or for an incident, the way the CLI and Slack ask for it:
 * each run from its queries (when a worker answers) or its history, then the context around it —
 * Kubernetes Events of the app's objects and the config repo's commits to the app's paths in the
 * incident's window. A context source that fails is recorded in `sources`, never fatal.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client, WorkflowHandle } from '@temporalio/client';
import path from 'node:path';
import { own } from '../config/own-keys.js';
import { didYouMean } from '../did-you-mean.js';
import { GitSourceCache } from '../gitops/git-source.js';
import { shown } from '../input-limits.js';
import { clustersFromConfig, type Clusters } from '../kube/clusters.js';
import { INCIDENT_ID_PATTERN, RefusedError, targetSnapshot, type Rewind } from '../runs.js';
import { cacheDir } from '../tools/binaries.js';
import type { RunResult, RunStatus, TargetSnapshot, TimelineEvent } from '../../../workflows/types.js';
import { statusQuery, timelineQuery } from '../../../workflows/messages.js';
import { assembleDocument } from './assemble.js';
import { runTimelineFromHistory } from './from-history.js';
import { runTimelineFromQueries } from './from-queries.js';
import { appCommits } from './git-commits.js';
import { appKubeEvents } from './kube-events.js';
import type {
  ExecutionState,
  RunTimeline,
  SourceNote,
  TimelineDocument,
  TimelineEntry,
  TimelineScope,
} from './model.js';

export type RunSource = 'auto' | 'query' | 'history';

export interface TimelineOptions {
  /**
   * `auto`: an ended run's result, else the queries when a worker answers within `queryTimeoutMs`,
   * else the history. @default 'auto'
   */
  source?: RunSource;
  /** @default 5000 */
  queryTimeoutMs?: number;
  /** When the incident started (ISO), if known earlier than any signal. */
  detectedAt?: string;
  /** Read Kubernetes Events of the app's objects. @default true */
  kube?: boolean;
  /** Read the config repo's commits to the app's paths. @default true */
  git?: boolean;
  /** How far before the first run (or detectedAt) to look for events and commits. @default 1 hour */
  lookbackMs?: number;
  now?: () => Date;
}

export interface TimelineDeps {
  rw: Rewind;
  /** Default: built from rewind.yaml's clusters on first use. */
  clusters?: Clusters;
  /** Default: mirrors under $REWIND_CACHE_DIR/timeline (the worker's cache layout). */
  sources?: GitSourceCache;
}

const EXECUTION: Record<string, ExecutionState> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  CONTINUED_AS_NEW: 'continued-as-new',
  TIMED_OUT: 'timed-out',
};

const isNotFound = (err: unknown) =>
  (err as Error)?.name === 'WorkflowNotFoundError' || /not found/i.test((err as Error)?.message ?? '');

/** The message and its causes: Temporal's query errors say little at the top ("Failed to query Workflow"). */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = (e as { cause?: unknown }).cause)
    parts.push(e.message);
  return [...new Set(parts)].join(': ') || String(err);
}

/** One run, from the chosen source. `runId` omitted: the latest run of the workflow id. */
export async function readRun(
  rw: Rewind,
  workflowId: string,
  runId?: string,
  opts: Pick<TimelineOptions, 'source' | 'queryTimeoutMs'> = {},
): Promise<RunTimeline> {
  const source = opts.source ?? 'auto';
  let handle: WorkflowHandle = rw.client.workflow.getHandle(workflowId, runId);
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if (isNotFound(err)) throw new RefusedError(`no run ${workflowId}${runId ? ` (run ${runId})` : ''}`, 'not-found');
    throw err;
  }
  handle = rw.client.workflow.getHandle(workflowId, desc.runId);
  const execution = EXECUTION[desc.status.name] ?? 'unknown';
  const closedAt = desc.closeTime?.toISOString();
  /** The run's own record (status and timeline), read one way or the other. */
  const fromRecord = (status: RunStatus, timeline: TimelineEvent[], from: 'queries' | 'result') =>
    runTimelineFromQueries({
      workflowId,
      runId: desc.runId,
      status,
      timeline,
      execution,
      ...(closedAt ? { closedAt } : {}),
      target: targetSnapshot(rw.cfg, status.app, status.env),
      from,
    });
  // A run that ended returns its own record (its final status and timeline): exact, and no worker
  // needs to replay it. Runs that ended before results carried the timeline fall through.
  if (source === 'auto' && execution === 'completed') {
    const ended = (await handle.result().catch(() => undefined)) as Partial<RunResult> | undefined;
    if (ended && Array.isArray(ended.timeline) && ended.app && ended.env && ended.phase) {
      const { timeline, ...status } = ended as RunResult;
      try {
        return fromRecord(status, timeline, 'result');
      } catch {
        // Not in rewind.yaml any more: the history still says what the target was.
      }
    }
  }
  let queryError: string | undefined;
  if (source !== 'history') {
    try {
      const deadline = Date.now() + (opts.queryTimeoutMs ?? 5000);
      // One after the other, and once more on failure: on a closed run each query makes the worker
      // replay the history, and two at once on a just-closed run have been seen to fail.
      const ask = async () => {
        const status = await handle.query(statusQuery);
        return { status, timeline: await handle.query(timelineQuery) };
      };
      const { status, timeline } = await rw.client.connection.withDeadline(deadline, () =>
        ask().catch(async (err) => {
          if (Date.now() + 500 >= deadline) throw err;
          await new Promise((r) => setTimeout(r, 250));
          return ask();
        }),
      );
      return fromRecord(status, timeline, 'queries');
    } catch (err) {
      const why = errorText(err);
      if (source === 'query')
        throw new RefusedError(
          `the queries of ${workflowId} were not answered (${why}); is a worker running? Try --source history`,
          'not-found',
        );
      queryError = why;
    }
  }
  const rebuilt = runTimelineFromHistory(await handle.fetchHistory(), { workflowId, runId: desc.runId });
  if (queryError)
    rebuilt.notes.push({
      kind: 'query',
      detail: `${workflowId}: queries not answered (${queryError}); used the history`,
      ok: false,
    });
  return rebuilt;
}

/** Runs tagged with the incident (RewindIncident search attribute), oldest first. */
export async function incidentRunIds(
  client: Client,
  incidentId: string,
): Promise<Array<{ workflowId: string; runId: string }>> {
  if (!INCIDENT_ID_PATTERN.test(incidentId))
    throw new RefusedError(
      `${shown(incidentId)} is not an incident id (letters, digits and . _ : # / -, up to 64)`,
      'bad-input',
    );
  const out: Array<{ workflowId: string; runId: string; start: number }> = [];
  // The pattern admits no quote, so the id cannot break out of the string literal.
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'runbookWorkflow' AND RewindIncident = '${incidentId}'`,
  })) {
    out.push({ workflowId: wf.workflowId, runId: wf.runId, start: wf.startTime.getTime() });
  }
  return out.sort((a, b) => a.start - b.start).map(({ workflowId, runId }) => ({ workflowId, runId }));
}

export async function runTimelineDocument(
  deps: TimelineDeps,
  workflowId: string,
  runId: string | undefined,
  opts: TimelineOptions = {},
): Promise<TimelineDocument> {
  const run = await readRun(deps.rw, workflowId, runId, opts);
  const scope: TimelineScope = { kind: 'run', workflowId, runId: run.run.runId };
  return documentWithContext(readersOf(deps), [run], scope, opts);
}

export async function incidentTimelineDocument(
  deps: TimelineDeps,
  incidentId: string,
  opts: TimelineOptions = {},
): Promise<TimelineDocument> {
  const ids = await incidentRunIds(deps.rw.client, incidentId);
  if (ids.length === 0) {
    const apps = Object.keys(deps.rw.cfg.apps);
    throw new RefusedError(
      `no runs are tagged with incident "${incidentId}" (start runs with --incident ${incidentId}), and ` +
        `it is not an app in rewind.yaml${didYouMean(incidentId, apps)} (apps: ${apps.join(', ') || 'none'})`,
      'not-found',
    );
  }
  const runs: RunTimeline[] = [];
  for (const id of ids) runs.push(await readRun(deps.rw, id.workflowId, id.runId, opts));
  const notes: SourceNote[] = [
    { kind: 'visibility', detail: `${ids.length} run(s) with RewindIncident = ${incidentId}`, ok: true },
  ];
  return documentWithContext(readersOf(deps), runs, { kind: 'incident', incidentId }, opts, notes);
}

/** Where the context around runs is read from: the cluster and repo a run's target names. */
export interface ContextReaders {
  /** The cluster's client config; throws when the cluster is unknown. */
  kube(cluster: string): KubeConfig;
  /** The repo's clone URL and branch; throws when the repo is unknown. */
  repo(name: string): { url: string; branch: string };
  sources(): GitSourceCache;
}

function readersOf(deps: TimelineDeps): ContextReaders {
  return {
    kube(cluster) {
      deps.clusters ??= clustersFromConfig(deps.rw.cfg);
      const kc = deps.clusters.get(cluster);
      if (!kc) throw new Error(`cluster "${cluster}" is not in rewind.yaml`);
      return kc;
    },
    repo(name) {
      const repo = own(deps.rw.cfg.repos, name);
      if (!repo) throw new Error(`repo "${name}" is not in rewind.yaml`);
      return repo;
    },
    sources: () => (deps.sources ??= new GitSourceCache(path.join(cacheDir(), 'timeline'))),
  };
}

/**
 * The document of one run that has ended, from the result it returned (its final status and
 * timeline) and the target it ran on, with the same context as `rewind timeline`: what the worker
 * commits as the run's postmortem.
 */
export function endedRunDocument(
  readers: ContextReaders,
  ended: { workflowId: string; runId: string; result: RunResult; target: TargetSnapshot; closedAt: string },
  opts: TimelineOptions = {},
): Promise<TimelineDocument> {
  const { timeline, ...status } = ended.result;
  const run = runTimelineFromQueries({
    workflowId: ended.workflowId,
    runId: ended.runId,
    status,
    timeline,
    execution: 'completed',
    closedAt: ended.closedAt,
    target: ended.target,
    from: 'result',
  });
  return documentWithContext(readers, [run], { kind: 'run', workflowId: ended.workflowId, runId: ended.runId }, opts);
}

async function documentWithContext(
  readers: ContextReaders,
  runs: RunTimeline[],
  scope: TimelineScope,
  opts: TimelineOptions,
  notes: SourceNote[] = [],
): Promise<TimelineDocument> {
  const now = opts.now?.() ?? new Date();
  const starts = runs.map((r) => Date.parse(r.run.startedAt));
  if (opts.detectedAt) starts.push(Date.parse(opts.detectedAt));
  const from = Math.min(...starts) - (opts.lookbackMs ?? 3_600_000);
  const to = runs.some((r) => !r.run.endedAt)
    ? now.getTime()
    : Math.max(...runs.map((r) => Date.parse(r.run.endedAt!)));
  const external: TimelineEntry[] = [];
  const targets = new Map(runs.map((r) => [`${r.run.app}/${r.run.env}`, r.run]));

  for (const [name, run] of targets) {
    if (opts.kube !== false) {
      try {
        const found = await appKubeEvents(readers.kube(run.target.cluster), run.target, from, to);
        external.push(...found);
        notes.push({
          kind: 'kubernetes',
          detail:
            `${found.length} event(s) of ${name}'s objects ` +
            `in ${run.target.namespace} and ${run.target.engine.namespace}`,
          ok: true,
        });
      } catch (err) {
        notes.push({ kind: 'kubernetes', detail: `${name}: events not read: ${(err as Error).message}`, ok: false });
      }
    }
    if (opts.git !== false) {
      try {
        const repo = readers.repo(run.target.repo);
        const found = await appCommits(readers.sources(), {
          url: repo.url,
          branch: repo.branch,
          ...(run.target.webUrl ? { webUrl: run.target.webUrl } : {}),
          envPath: run.target.path,
          from,
          to,
        });
        external.push(...found);
        notes.push({
          kind: 'git',
          detail: `${found.length} commit(s) to ${name}'s paths (${run.target.path} and its kustomize sources)`,
          ok: true,
        });
      } catch (err) {
        // The clone URL is not repeated: it may carry credentials.
        notes.push({
          kind: 'git',
          detail:
            `${name}: commits not ` +
            `read: ${(err as Error).message.replace(/https?:\/\/[^\s@/]+@/g, 'https://***@')}`,
          ok: false,
        });
      }
    }
  }
  return assembleDocument(runs, {
    scope,
    external,
    notes,
    now,
    ...(opts.detectedAt ? { detectedAt: opts.detectedAt } : {}),
  });
}
