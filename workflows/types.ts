/**
 * Types shared by workflows, activities and the processes that start runs. Pure types and
 * constants only: this file is bundled into the workflow sandbox.
 */

export interface PersonRef { handle: string; name: string; email: string; slack?: string }

export type EngineRef =
  | { kind: 'argocd'; name: string; namespace: string }
  | { kind: 'flux'; name: string; namespace: string; source?: string };

export interface RepoRef { name: string; url: string; branch: string; webUrl?: string }

/** Everything a run needs about its target, copied from rewind.yaml when the run starts. */
export interface TargetSnapshot {
  app: string;
  env: string;
  cluster: string;
  engine: EngineRef;
  repo: RepoRef;
  path: string;
  namespace: string;
  workloads: string[];
  health: { windowMs: number; timeoutMs: number; probeUrl?: string };
  owners: PersonRef[];
  approvers: PersonRef[];
  approval: { required: boolean; minApprovers: number; allowSelfApproval: boolean; timeoutMs: number; allowCliYes: boolean };
  channel?: string;
  drillTarget: boolean;
  temporalUiUrl?: string;
}

/** The step library. Adding a kind here forces a runner for it in workflows/runbook.ts (compile-time check). */
export const STEP_KINDS = [
  'planRollback', 'approve', 'revertPromotion', 'refresh', 'waitForSynced', 'verifyHealth', 'notify',
  'planEmergency', 'pauseAutoSync', 'patchLive', 'commitToGit', 'waitForGitToMatchLive', 'resumeAutoSync',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface RunbookStep { kind: StepKind; name: string; with: Record<string, string | number | boolean> }
export interface RunbookSnapshot { name: string; description: string; version: number; steps: RunbookStep[] }

export interface RunRequest {
  requester: PersonRef;
  reason: string;
  incidentId?: string;
  source: 'slack' | 'cli' | 'drill';
  /** Rollback: revert this commit instead of the newest promotion. */
  commit?: string;
  /** `--yes` from the CLI, honoured only where the approval policy allows it. */
  preApproved?: boolean;
  /** Emergency path: the live changes to make, then hold in Git. */
  changes?: LiveChange[];
  slack?: { channel: string; userId: string };
}

export interface RunInput { runbook: RunbookSnapshot; target: TargetSnapshot; request: RunRequest }

export interface ImageChange { container: string; object: string; from: string; to: string }
export interface ConfigChange { object: string; key: string; from?: string; to?: string }

/** What a promotion commit changed, by layer, from rendering the environment before and after it. */
export interface PromotionDescription {
  sha: string; parent: string; subject: string; author: string; date: string; url?: string;
  images: ImageChange[];
  config: ConfigChange[];
  added: string[];
  removed: string[];
  otherChanged: string[];
}

export interface FieldDrift { path: string; desired: unknown; live: unknown }
export interface ObjectDrift { object: string; kind: 'missing' | 'extra' | 'modified'; fields: FieldDrift[]; allowed: FieldDrift[] }
export interface DriftReport {
  revision: string; objects: ObjectDrift[]; real: number; allowedOnly: number;
  /** Objects Git renders that rewind is not allowed to read (RBAC): not compared, so say so. */
  unreadable?: string[];
}

export interface EngineState {
  engine: EngineRef['kind'];
  syncStatus: string;
  syncedRevision?: string;
  health: string;
  healthMessage?: string;
  autoSync: AutoSyncPolicy | null;
  operationPhase?: string;
  resourceVersion: string;
}

/** The exact auto-sync policy in force, so a resume restores it and nothing else. */
export type AutoSyncPolicy =
  | { engine: 'argocd'; automated: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean } }
  | { engine: 'flux'; suspend: false };

/** One live change of the emergency path. */
export interface LiveChange {
  object: { apiVersion: string; kind: string; namespace: string; name: string };
  /** 'merge' = JSON merge patch (ConfigMaps, custom resources); 'strategic' = strategic merge (built-in workloads: lists merge by name). */
  patchType: 'merge' | 'strategic';
  patch: Record<string, unknown>;
  /** Explicit Git location when rewind cannot find it: a repo-relative file and a dotted YAML path inside the document for the object. */
  gitFile?: string;
  gitPath?: string;
}

/** Where in Git a live change goes: one edit per changed field. */
export interface GitEdit { file: string; docIndex: number; yamlPath: Array<string | number>; value: unknown; before: unknown; why: string }

/** Who paused auto-sync, why and until when; stored on the engine object with the recorded policy. */
export interface PauseLease { by: string; reason: string; incidentId?: string; runId: string; pausedAt: string; expiresAt: string; policy?: AutoSyncPolicy | null }

export interface EmergencyPlan {
  changes: Array<{ object: string; resourceVersion: string; fields: FieldDrift[] }>;
  gitEdits: GitEdit[];
  gitDiff: string;
  engine: EngineState;
  warnings: string[];
}

export interface RollbackPlan {
  promotion: PromotionDescription;
  engine: EngineState;
  drift: DriftReport;
  warnings: string[];
}

export interface Evidence { [key: string]: string | number | boolean | undefined }

export interface TimelineEvent {
  at: string;
  kind: 'run' | 'step' | 'approval' | 'evidence' | 'retry' | 'failure' | 'note';
  step?: string;
  actor: string;
  summary: string;
  evidence?: Evidence;
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
export interface StepStatus { name: string; kind: StepKind; state: StepState; startedAt?: string; endedAt?: string; summary?: string; error?: string }

export type RunPhase = 'planning' | 'awaiting-approval' | 'running' | 'restored' | 'not-restored' | 'failed' | 'cancelled' | 'rejected' | 'expired'
  /** Emergency path: something after the pause failed; auto-sync stays paused and rewind keeps reminding. */
  | 'held-paused' | 'resolved' | 'abandoned';

export interface RunStatus {
  workflowId: string;
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
  revertSha?: string;
  startedAt: string;
  restoredAt?: string;
  timeToRestoreMs?: number;
  result?: string;
  slackMessage?: { channel: string; ts: string };
}

export interface Decision { decision: 'approve' | 'reject'; by: PersonRef; comment?: string }

export const FailureType = {
  UnknownApp: 'UnknownApp',
  BadInput: 'BadInput',
  NoPromotion: 'NoPromotion',
  RevertConflict: 'RevertConflict',
  RevertNotNeeded: 'RevertNotNeeded',
  EngineBusy: 'EngineBusy',
  NotAuthorized: 'NotAuthorized',
  HealthNotRestored: 'HealthNotRestored',
  PushRejected: 'PushRejected',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** One workflow id per app and environment, whatever the runbook: runs of one target exclude each other. */
export const runWorkflowId = (app: string, env: string): string => `rewind/${app}/${env}`;

// ---------------------------------------------------------------------------------------------
// Git side of the emergency path (src/git/locate-source.ts). Merges into GitEdit above.

export interface GitEdit {
  /** True when the edit deletes the key at yamlPath (a `null` in the patch, for a field defined in a resource file); `value` is then null. */
  remove?: boolean;
}
