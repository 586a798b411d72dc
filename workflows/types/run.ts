/**
 * A run: what starts it, what it carries across continue-as-new, its phases and its status.
 * Pure types and constants only: bundled into the workflow sandbox.
 */
import type { PromotionTrigger } from '../verification/types.js';
import type { IdentityProof } from './approval.js';
import type { TimelineEvent } from './evidence.js';
import type { AutoSyncPolicy, EmergencyPlan, LiveChange, PauseLease, RollbackPlan } from './plan.js';
import type { RunbookSnapshot, StepStatus } from './step.js';
import type { PersonRef, TargetSnapshot } from './target.js';

export interface RunRequest {
  requester: PersonRef;
  reason: string;
  incidentId?: string;
  /** `auto`: started by the promotion watch's autoRollback policy (see `trigger`). */
  source: 'slack' | 'cli' | 'drill' | 'auto';
  /** Rollback: revert this commit instead of the newest promotion. */
  commit?: string;
  /** `--yes` from the CLI, honoured only where the approval policy allows it. */
  preApproved?: boolean;
  /** Emergency path: the live changes to make, then hold in Git. */
  changes?: LiveChange[];
  slack?: { channel: string; userId: string };
  /**
   * How the requester's identity was proven (see IdentityProof), as the entry point that started
   * the run says; the owner check applies either way.
   */
  via?: IdentityProof;
  /** The promotion watch's failed verification that led to this run (its Roll back button, or autoRollback). */
  trigger?: PromotionTrigger;
}

export interface RunInput {
  runbook: RunbookSnapshot;
  target: TargetSnapshot;
  request: RunRequest;
  /** Set only by the run itself when a held pause continues as new: where it was. */
  resume?: HeldRunState;
}

/** What a run's steps found that a held pause still needs: carried across continue-as-new. */
export interface ResumableContext {
  pause?: { policy: AutoSyncPolicy | null; lease: PauseLease };
  patched?: boolean;
  patchedAt?: string;
  restarts?: string[];
  planned?: Array<{ object: string; resourceVersion: string }>;
  commitSha?: string;
  revertSha?: string;
  syncedAt?: string;
}

/**
 * A held pause carried into the next run of the chain (continue-as-new), so a hold of weeks never meets history limits.
 */
export interface HeldRunState {
  /** The first run's key: its leases and Git trailers keep naming it. */
  runKey: string;
  /** Why the run holds. */
  why: string;
  /** Reminders sent so far. */
  reminders: number;
  status: RunStatus;
  timeline: TimelineEvent[];
  context: ResumableContext;
}

export type RunPhase =
  | 'planning'
  | 'awaiting-approval'
  | 'running'
  | 'restored'
  | 'not-restored'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  /** Emergency path: something after the pause failed; auto-sync stays paused and rewind keeps reminding. */
  | 'held-paused'
  | 'resolved'
  | 'abandoned';

/** Phases a run ends in: nothing more can be asked of it. `held-paused` is not one: the run waits for a person. */
export const TERMINAL_PHASES: readonly RunPhase[] = [
  'restored',
  'not-restored',
  'failed',
  'cancelled',
  'rejected',
  'expired',
  'resolved',
  'abandoned',
];

export interface RunStatus {
  workflowId: string;
  /** The first run id of this run's chain: what approvals bind to. */
  runId?: string;
  runbook: string;
  app: string;
  env: string;
  phase: RunPhase;
  requester: string;
  reason: string;
  incidentId?: string;
  plan?: RollbackPlan;
  emergency?: EmergencyPlan;
  /** Set while rewind holds auto-sync paused for this run. */
  pause?: { since: string; policy: AutoSyncPolicy | null; lease: PauseLease };
  commitSha?: string;
  steps: StepStatus[];
  approvals: Array<{ by: string; at: string; decision: 'approve' | 'reject' }>;
  /** Approvals the run still needs before it acts (0 once approved); set while it waits. */
  approvalsNeeded?: number;
  revertSha?: string;
  /** The run's pull request, where the branch only takes PRs: the run's commit reaches the branch by its merge. */
  pullRequest?: {
    number: number;
    url: string;
    branch: string;
    state: 'open' | 'merged' | 'closed';
    mergeSha?: string;
    mergedBy?: string;
  };
  startedAt: string;
  restoredAt?: string;
  timeToRestoreMs?: number;
  result?: string;
  slackMessage?: { channel: string; ts: string };
  /** The run's timeline as committed to the postmortems repository when it ended (rewind.yaml `postmortems:`). */
  postmortem?: { repo: string; file: string; sha: string; url?: string };
}

/**
 * What a run returns when it ends: its final status and its timeline, so a closed run's record
 * is read from its completion event, without a worker replaying it or a rebuild from history.
 */
export interface RunResult extends RunStatus {
  timeline: TimelineEvent[];
}

/** One workflow id per app and environment, whatever the runbook: runs of one target exclude each other. */
export const runWorkflowId = (app: string, env: string): string => `rewind/${app}/${env}`;
