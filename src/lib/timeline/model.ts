/**
 * The post-incident timeline as data: one versioned document that every export (Markdown, JSON,
 * SVG) renders and that both sources (a live run's queries, a rebuilt Temporal history) produce
 * in the same shape. docs/timeline-schema.md describes each field and the version policy.
 *
 * MAINTENANCE: a change here needs the zod rules in ./schema.ts and docs/timeline-schema.md too.
 */
import type { RunPhase, StepKind, StepState } from '../../../workflows/types.js';

/** Bumped only for breaking changes; additive optional fields keep `v1` (see docs/timeline-schema.md). */
export const TIMELINE_SCHEMA = 'rewind.timeline/v1' as const;

/** Evidence values as the workflow records them: flat, so they print in a table cell. */
export type EvidenceValue = string | number | boolean;

export interface TimelineLink {
  label: string;
  url: string;
}

/** Where an event came from. `run` events are the workflow's own record (query) or rebuilt from its history. */
export type EventSource = 'run' | 'kubernetes' | 'git' | 'external';

/** The workflow's event kinds plus what the incident merge adds. */
export type EventKind =
  | 'run'
  | 'step'
  | 'approval'
  | 'evidence'
  | 'retry'
  | 'failure'
  | 'note'
  | 'kube-event'
  | 'commit'
  | 'alert';

export interface TimelineEntry {
  /** ISO 8601, UTC. */
  at: string;
  kind: EventKind;
  source: EventSource;
  /** Temporal run id of the run this event belongs to; absent for Kubernetes events and commits. */
  runId?: string;
  step?: string;
  actor: string;
  summary: string;
  severity?: 'info' | 'warning' | 'error';
  evidence?: Record<string, EvidenceValue>;
  links?: TimelineLink[];
}

export interface StepSpan {
  runId: string;
  step: string;
  kind: StepKind;
  state: StepState;
  start?: string;
  end?: string;
  durationMs?: number;
  summary?: string;
  /** Activity retries inside the step; known only from history (attempt numbers). */
  retries?: number;
}

/** How a run ended, in Temporal's terms: `completed` runs carry their final RunStatus. */
export type ExecutionState =
  | 'running'
  | 'completed'
  | 'failed'
  | 'terminated'
  | 'cancelled'
  | 'timed-out'
  | 'continued-as-new'
  | 'unknown';

export interface TimelineRun {
  workflowId: string;
  runId: string;
  runbook: string;
  app: string;
  env: string;
  requester: string;
  /** Who approved, in order; empty when approval was not required. */
  approvers: string[];
  rejectedBy?: string;
  reason: string;
  incidentId?: string;
  /** `query`: the workflow's own timeline and status; `history`: rebuilt from Temporal history. */
  source: 'query' | 'history';
  execution: ExecutionState;
  /** The run's phase: its outcome once ended (restored, not-restored, held-paused, …). */
  outcome: RunPhase;
  result?: string;
  startedAt: string;
  endedAt?: string;
  revertSha?: string;
  commitSha?: string;
  /** The run's own measure (run start → healthy), as the workflow reports it. */
  timeToRestoreMs?: number;
  /** Set while rewind holds auto-sync paused for this run. */
  pause?: { since: string; leaseExpiresAt?: string; engine: string };
  slackPermalink?: string;
  target: {
    cluster: string;
    namespace: string;
    engine: { kind: 'argocd' | 'flux'; namespace: string; name: string };
    workloads: string[];
    repo: string;
    path: string;
    webUrl?: string;
  };
}

export const PHASE_KEYS = [
  'detected',
  'acknowledged',
  'mitigated',
  'git-converged',
  'auto-sync-restored',
  'resolved',
] as const;
export type PhaseKey = (typeof PHASE_KEYS)[number];

export const PHASE_LABELS: Record<PhaseKey, string> = {
  detected: 'Detected',
  acknowledged: 'Acknowledged',
  mitigated: 'Mitigated',
  'git-converged': 'Git converged',
  'auto-sync-restored': 'Auto-sync restored',
  resolved: 'Resolved',
};

export interface Phase {
  key: PhaseKey;
  label: string;
  state: 'reached' | 'pending' | 'not-applicable';
  at?: string;
  /** What marked it, e.g. "verify-health healthyAt of rewind/users-api/prod". */
  basis: string;
  runId?: string;
  sinceDetectedMs?: number;
  /** Since the previous reached phase in document order. */
  sincePreviousMs?: number;
}

/** Measured from `detected`. */
export interface Durations {
  timeToAcknowledgeMs?: number;
  timeToMitigateMs?: number;
  timeToGitConvergedMs?: number;
  timeToRestoreMs?: number;
}

export type FollowUpKind =
  | 'auto-sync-paused'
  | 'lease-expired'
  | 'not-restored'
  | 'run-failed'
  | 'run-open'
  | 'abandoned'
  | 'cancelled-after-change';

export interface FollowUp {
  kind: FollowUpKind;
  text: string;
  runId?: string;
  since?: string;
}

export interface TimelineScope {
  kind: 'run' | 'incident';
  incidentId?: string;
  workflowId?: string;
  runId?: string;
}

export interface SourceNote {
  kind: 'query' | 'history' | 'kubernetes' | 'git' | 'visibility';
  detail: string;
  ok: boolean;
}

export interface TimelineDocument {
  schema: typeof TIMELINE_SCHEMA;
  generatedAt: string;
  title: string;
  summary: string;
  scope: TimelineScope;
  window: { start: string; end: string };
  runs: TimelineRun[];
  /** Sorted by time, then by the order each source recorded them. */
  events: TimelineEntry[];
  spans: StepSpan[];
  /** Reached phases in time order, then pending and not-applicable ones in canonical order. */
  phases: Phase[];
  durations: Durations;
  followUps: FollowUp[];
  sources: SourceNote[];
}

/** One run as a source yields it, before the document is assembled. */
export interface RunTimeline {
  run: TimelineRun;
  events: TimelineEntry[];
  spans: StepSpan[];
  notes: SourceNote[];
}

export const GOOD_OUTCOMES: readonly RunPhase[] = ['restored', 'resolved'];
export const OPEN_OUTCOMES: readonly RunPhase[] = ['planning', 'awaiting-approval', 'running', 'held-paused'];
