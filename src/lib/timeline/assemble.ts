/**
 * Runs (from either source) plus outside events (Kubernetes, Git, alerts) → one TimelineDocument:
 * events in time order, phases and durations, follow-ups, a title and a one-paragraph summary.
 */
import { deriveFollowUps } from './follow-ups.js';
import { duration, ms, short, utc } from './format.js';
import { derivePhases } from './phases.js';
import {
  TIMELINE_SCHEMA,
  type RunTimeline,
  type SourceNote,
  type TimelineDocument,
  type TimelineEntry,
  type TimelineRun,
  type TimelineScope,
} from './model.js';

export interface AssembleOptions {
  scope: TimelineScope;
  /** When the incident started, if known before any signal (e.g. from the pager). */
  detectedAt?: string;
  /** Kubernetes events, commits, alerts. */
  external?: TimelineEntry[];
  notes?: SourceNote[];
  now?: Date;
}

export function assembleDocument(runTimelines: RunTimeline[], opts: AssembleOptions): TimelineDocument {
  const now = opts.now ?? new Date();
  const runs = [...runTimelines].map((r) => r.run).sort((a, b) => ms(a.startedAt)! - ms(b.startedAt)!);
  // Stable sort: equal times keep each source's own order (a step's "started" before its end).
  const events = [...runTimelines.flatMap((r) => r.events), ...(opts.external ?? [])]
    .map((e, i) => ({ e, i, t: ms(e.at) ?? 0 }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
  const spans = runTimelines.flatMap((r) => r.spans);
  const { phases, durations } = derivePhases({
    runs,
    spans,
    events,
    ...(opts.detectedAt ? { detectedAt: opts.detectedAt } : {}),
  });
  const followUps = deriveFollowUps(runs, spans, now);

  const times = [
    ...events.map((e) => ms(e.at)),
    ...runs.flatMap((r) => [ms(r.startedAt), ms(r.endedAt)]),
    ...spans.flatMap((s) => [ms(s.start), ms(s.end)]),
    ...phases.map((p) => ms(p.at)),
  ].filter((x): x is number => x !== undefined);
  if (runs.some((r) => r.execution === 'running')) times.push(now.getTime());
  const start = times.length ? Math.min(...times) : now.getTime();
  const end = times.length ? Math.max(...times) : now.getTime();

  const doc: TimelineDocument = {
    schema: TIMELINE_SCHEMA,
    generatedAt: now.toISOString(),
    title: titleOf(opts.scope, runs),
    summary: '',
    scope: opts.scope,
    window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    runs,
    events,
    spans,
    phases,
    durations,
    followUps,
    sources: [...runTimelines.flatMap((r) => r.notes), ...(opts.notes ?? [])],
  };
  doc.summary = summaryOf(doc);
  return doc;
}

const targetsOf = (runs: TimelineRun[]) => [...new Set(runs.map((r) => `${r.app}/${r.env}`))];

function titleOf(scope: TimelineScope, runs: TimelineRun[]): string {
  const targets = targetsOf(runs).join(', ') || 'no runs';
  if (scope.kind === 'incident') return `Incident ${scope.incidentId ?? '?'}: ${targets}`;
  const r = runs[0];
  return r
    ? `${r.runbook} of ${r.app}/${r.env}${r.incidentId ? ` (incident ${r.incidentId})` : ''}`
    : `Run ${scope.workflowId ?? '?'}`;
}

function summaryOf(doc: TimelineDocument): string {
  const parts: string[] = [];
  const runText = doc.runs.map((r) => {
    const change = r.revertSha ? `, revert ${short(r.revertSha)}` : r.commitSha ? `, commit ${short(r.commitSha)}` : '';
    const approved = r.approvers.length ? `, approved by ${r.approvers.join(', ')}` : '';
    return `${r.runbook} of ${r.app}/${r.env} requested by ${r.requester}${approved}: ${r.outcome}${change}`;
  });
  parts.push(`${doc.runs.length} run${doc.runs.length === 1 ? '' : 's'}: ${runText.join('; ') || 'none'}.`);
  const at = (k: string) => doc.phases.find((p) => p.key === k && p.state === 'reached');
  const detected = at('detected');
  if (detected) parts.push(`Detected ${utc(detected.at)} (${detected.basis}).`);
  const d = doc.durations;
  const said = [
    d.timeToMitigateMs !== undefined ? `mitigated after ${duration(d.timeToMitigateMs)}` : 'not mitigated yet',
    d.timeToGitConvergedMs !== undefined ? `Git converged after ${duration(d.timeToGitConvergedMs)}` : undefined,
    d.timeToRestoreMs !== undefined ? `resolved after ${duration(d.timeToRestoreMs)}` : 'not resolved yet',
  ].filter(Boolean);
  parts.push(`${said.join(', ')}.`.replace(/^./, (c) => c.toUpperCase()));
  if (doc.followUps.length)
    parts.push(`${doc.followUps.length} open follow-up${doc.followUps.length === 1 ? '' : 's'}.`);
  return parts.join(' ');
}
