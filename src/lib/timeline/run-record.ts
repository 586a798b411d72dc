/**
 * Pieces of a run's record both sources build the same way, so a document rebuilt from history
 * and one read from the live run differ only where the data does.
 */
import type {
  Evidence,
  RunInput,
  RunStatus,
  StepStatus,
  TargetSnapshot,
  TimelineEvent,
} from '../../../workflows/types.js';
import { evidenceLinks } from './links.js';
import type { EvidenceValue, StepSpan, TimelineEntry, TimelineRun } from './model.js';

export function targetRef(t: TargetSnapshot): TimelineRun['target'] {
  return {
    cluster: t.cluster,
    namespace: t.namespace,
    engine: { kind: t.engine.kind, namespace: t.engine.namespace, name: t.engine.name },
    // The repo's name, never its URL: a clone URL may carry credentials.
    workloads: [...t.workloads],
    repo: t.repo.name,
    path: t.path,
    ...(t.repo.webUrl ? { webUrl: t.repo.webUrl } : {}),
  };
}

export const engineLabel = (t: TimelineRun['target']): string =>
  `${t.engine.kind} ${t.engine.namespace}/${t.engine.name}`;

export function cleanEvidence(e: Evidence | undefined): Record<string, EvidenceValue> | undefined {
  if (!e) return undefined;
  const out: Record<string, EvidenceValue> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/** A workflow timeline event as a document entry. */
export function entryOf(e: TimelineEvent, runId: string, webUrl: string | undefined): TimelineEntry {
  const evidence = cleanEvidence(e.evidence);
  const links = evidenceLinks(evidence, webUrl);
  return {
    at: e.at,
    kind: e.kind,
    source: 'run',
    runId,
    ...(e.step ? { step: e.step } : {}),
    actor: e.actor,
    summary: e.summary,
    ...(e.kind === 'failure'
      ? { severity: 'error' as const }
      : e.kind === 'retry'
        ? { severity: 'warning' as const }
        : {}),
    ...(evidence ? { evidence } : {}),
    ...(links.length ? { links } : {}),
  };
}

export function spanOf(s: StepStatus, runId: string, retries?: number): StepSpan {
  const start = s.startedAt,
    end = s.endedAt;
  return {
    runId,
    step: s.name,
    kind: s.kind,
    state: s.state,
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(start && end ? { durationMs: Date.parse(end) - Date.parse(start) } : {}),
    ...(s.summary ? { summary: s.summary } : {}),
    ...(retries ? { retries } : {}),
  };
}

/** The run record from its input and (once known) its status. */
export function runOf(args: {
  workflowId: string;
  runId: string;
  input: Pick<RunInput, 'runbook' | 'request'> & { target: TargetSnapshot };
  status?: RunStatus;
  source: TimelineRun['source'];
  execution: TimelineRun['execution'];
  startedAt: string;
  endedAt?: string;
  outcome: TimelineRun['outcome'];
  result?: string;
  approvals: Array<{ by: string; decision: 'approve' | 'reject' }>;
  pause?: TimelineRun['pause'];
  slackPermalink?: string;
  revertSha?: string;
  commitSha?: string;
}): TimelineRun {
  const { input, status } = args;
  const target = targetRef(input.target);
  const rejectedBy = args.approvals.find((a) => a.decision === 'reject')?.by;
  return {
    workflowId: args.workflowId,
    runId: args.runId,
    runbook: input.runbook.name,
    app: input.target.app,
    env: input.target.env,
    requester: input.request.requester.handle,
    approvers: args.approvals.filter((a) => a.decision === 'approve').map((a) => a.by),
    ...(rejectedBy ? { rejectedBy } : {}),
    reason: input.request.reason,
    ...(input.request.incidentId ? { incidentId: input.request.incidentId } : {}),
    source: args.source,
    execution: args.execution,
    outcome: args.outcome,
    ...(args.result ? { result: args.result } : {}),
    startedAt: args.startedAt,
    ...(args.endedAt ? { endedAt: args.endedAt } : {}),
    ...((args.revertSha ?? status?.revertSha) ? { revertSha: args.revertSha ?? status?.revertSha } : {}),
    ...((args.commitSha ?? status?.commitSha) ? { commitSha: args.commitSha ?? status?.commitSha } : {}),
    ...(status?.timeToRestoreMs !== undefined ? { timeToRestoreMs: status.timeToRestoreMs } : {}),
    ...(args.pause ? { pause: args.pause } : {}),
    ...(args.slackPermalink ? { slackPermalink: args.slackPermalink } : {}),
    target,
  };
}
