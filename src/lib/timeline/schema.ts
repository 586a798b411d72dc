/**
 * The rules a `rewind.timeline/v1` document obeys: field types (zod, strict objects, so an unknown
 * field is an error) and the relations between fields (sorted events, known run ids, phase order).
 * The JSON export validates before it writes; readers can call `validateTimelineDocument` on any
 * file. docs/timeline-schema.md is the prose version.
 */
import { z } from 'zod';
import { STEP_KINDS } from '../../../workflows/types.js';
import { FULL_SHA } from '../git/sha.js';
import { PHASE_KEYS, TIMELINE_SCHEMA, type TimelineDocument } from './model.js';

const time = z.iso.datetime();
const evidence = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const link = z.strictObject({ label: z.string().min(1), url: z.url({ protocol: /^https?$/ }) });
const runPhase = z.enum([
  'planning',
  'awaiting-approval',
  'running',
  'restored',
  'not-restored',
  'failed',
  'cancelled',
  'rejected',
  'expired',
  'held-paused',
  'resolved',
  'abandoned',
]);

const entry = z.strictObject({
  at: time,
  kind: z.enum(['run', 'step', 'approval', 'evidence', 'retry', 'failure', 'note', 'kube-event', 'commit', 'alert']),
  source: z.enum(['run', 'kubernetes', 'git', 'external']),
  runId: z.string().min(1).optional(),
  step: z.string().min(1).optional(),
  actor: z.string(),
  summary: z.string(),
  severity: z.enum(['info', 'warning', 'error']).optional(),
  evidence: evidence.optional(),
  links: z.array(link).optional(),
});

const span = z.strictObject({
  runId: z.string().min(1),
  step: z.string().min(1),
  kind: z.enum(STEP_KINDS),
  state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  start: time.optional(),
  end: time.optional(),
  durationMs: z.number().int().nonnegative().optional(),
  summary: z.string().optional(),
  retries: z.number().int().nonnegative().optional(),
});

const run = z.strictObject({
  workflowId: z.string().min(1),
  runId: z.string().min(1),
  runbook: z.string().min(1),
  app: z.string().min(1),
  env: z.string().min(1),
  requester: z.string().min(1),
  approvers: z.array(z.string()),
  rejectedBy: z.string().optional(),
  reason: z.string(),
  incidentId: z.string().optional(),
  source: z.enum(['query', 'history']),
  execution: z.enum([
    'running',
    'completed',
    'failed',
    'terminated',
    'cancelled',
    'timed-out',
    'continued-as-new',
    'unknown',
  ]),
  outcome: runPhase,
  result: z.string().optional(),
  startedAt: time,
  endedAt: time.optional(),
  revertSha: z.string().regex(FULL_SHA).optional(),
  commitSha: z.string().regex(FULL_SHA).optional(),
  timeToRestoreMs: z.number().optional(),
  pause: z.strictObject({ since: time, leaseExpiresAt: time.optional(), engine: z.string() }).optional(),
  slackPermalink: z.url({ protocol: /^https?$/ }).optional(),
  target: z.strictObject({
    cluster: z.string(),
    namespace: z.string(),
    engine: z.strictObject({ kind: z.enum(['argocd', 'flux']), namespace: z.string(), name: z.string() }),
    workloads: z.array(z.string()),
    repo: z.string(),
    path: z.string(),
    webUrl: z.url({ protocol: /^https?$/ }).optional(),
  }),
});

const phase = z.strictObject({
  key: z.enum(PHASE_KEYS),
  label: z.string().min(1),
  state: z.enum(['reached', 'pending', 'not-applicable']),
  at: time.optional(),
  basis: z.string(),
  runId: z.string().optional(),
  sinceDetectedMs: z.number().nonnegative().optional(),
  sincePreviousMs: z.number().nonnegative().optional(),
});

const ms = z.number().nonnegative().optional();

export const timelineDocumentSchema = z.strictObject({
  schema: z.literal(TIMELINE_SCHEMA),
  generatedAt: time,
  title: z.string().min(1),
  summary: z.string(),
  scope: z.strictObject({
    kind: z.enum(['run', 'incident']),
    incidentId: z.string().optional(),
    workflowId: z.string().optional(),
    runId: z.string().optional(),
  }),
  window: z.strictObject({ start: time, end: time }),
  runs: z.array(run),
  events: z.array(entry),
  spans: z.array(span),
  phases: z.array(phase).length(PHASE_KEYS.length),
  durations: z.strictObject({
    timeToAcknowledgeMs: ms,
    timeToMitigateMs: ms,
    timeToGitConvergedMs: ms,
    timeToRestoreMs: ms,
  }),
  followUps: z.array(
    z.strictObject({
      kind: z.enum([
        'auto-sync-paused',
        'lease-expired',
        'not-restored',
        'run-failed',
        'run-open',
        'abandoned',
        'cancelled-after-change',
      ]),
      text: z.string().min(1),
      runId: z.string().optional(),
      since: time.optional(),
    }),
  ),
  sources: z.array(
    z.strictObject({
      kind: z.enum(['query', 'history', 'kubernetes', 'git', 'visibility']),
      detail: z.string(),
      ok: z.boolean(),
    }),
  ),
});

// Compile-time check that the zod rules and the TypeScript model describe the same document.
type Parsed = z.infer<typeof timelineDocumentSchema>;
const sameShape = <A, B extends A>(_b?: B) => true;
void sameShape<Parsed, TimelineDocument>;
void sameShape<TimelineDocument, Parsed>;

export type Validation = { ok: true; document: TimelineDocument } | { ok: false; issues: string[] };

/** Types, then relations: events sorted, run ids known, phases unique and in order, windows consistent. */
export function validateTimelineDocument(value: unknown): Validation {
  const parsed = timelineDocumentSchema.safeParse(value);
  if (!parsed.success)
    return { ok: false, issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  const doc = parsed.data as TimelineDocument;
  const issues: string[] = [];
  const t = (s: string) => Date.parse(s);
  const runIds = new Set(doc.runs.map((r) => r.runId));
  if (runIds.size !== doc.runs.length) issues.push('runs: run ids repeat');
  doc.events.forEach((e, i) => {
    if (i > 0 && t(e.at) < t(doc.events[i - 1]!.at)) issues.push(`events.${i}: out of time order`);
    if (e.runId !== undefined && !runIds.has(e.runId)) issues.push(`events.${i}.runId: no run ${e.runId}`);
    if (e.source === 'run' && e.runId === undefined) issues.push(`events.${i}: a run event names no run`);
  });
  doc.spans.forEach((s, i) => {
    if (!runIds.has(s.runId)) issues.push(`spans.${i}.runId: no run ${s.runId}`);
    if (s.start && s.end && t(s.end) < t(s.start)) issues.push(`spans.${i}: ends before it starts`);
  });
  const keys = doc.phases.map((p) => p.key);
  if (new Set(keys).size !== keys.length) issues.push('phases: a phase appears twice');
  let seenUnreached = false;
  let prev = -Infinity;
  doc.phases.forEach((p, i) => {
    if (p.state === 'reached') {
      if (!p.at) issues.push(`phases.${i}: reached without a time`);
      else if (t(p.at) < prev) issues.push(`phases.${i}: reached phases out of time order`);
      else prev = t(p.at);
      if (seenUnreached) issues.push(`phases.${i}: reached phase after an unreached one`);
    } else {
      seenUnreached = true;
      if (p.at) issues.push(`phases.${i}: ${p.state} phase has a time`);
    }
  });
  const reached = doc.phases.filter((p) => p.state === 'reached');
  if (reached.length && reached[0]!.key !== 'detected') issues.push('phases: detected must come first');
  if (t(doc.window.end) < t(doc.window.start)) issues.push('window: ends before it starts');
  return issues.length ? { ok: false, issues } : { ok: true, document: doc };
}
