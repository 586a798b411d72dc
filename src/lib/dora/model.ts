/**
 * The DORA keys of one app/env, computed from records that name exact commits: the config repo's
 * history, the engine's own deployment history, and rewind's runs. Nothing here is inferred from
 * labels or webhooks; where a record is missing (an engine keeps only its last few deployments),
 * the report says so instead of guessing.
 */

export const DORA_FORMATS = ['md', 'json', 'svg'] as const;
export type DoraFormat = (typeof DORA_FORMATS)[number];

/** A commit on the config branch that touches the environment's sources. */
export interface ConfigChange {
  sha: string;
  /** Committer date (ISO): when the change reached the branch. */
  at: string;
  author: string;
  subject: string;
  /** `promotion`: a change someone promoted; `revert`: a `git revert` by a person; `rewind`: rewind's own commit. */
  kind: 'promotion' | 'revert' | 'rewind';
  /** The commit a revert undoes (git's "This reverts commit <sha>." line). */
  reverts?: string;
}

/** The engine's record of one revision it applied. */
export interface EngineDeployment {
  /** The commit the engine applied (full sha). */
  revision: string;
  /** When it finished; undefined for the current revision when the engine's history no longer holds it. */
  at?: string;
  /**
   * Flux records whether the reconcile (apply and health checks) succeeded; Argo CD records when a
   * sync finished and nothing about health (undefined).
   */
  healthy?: boolean;
  source: 'argocd status.history' | 'flux status.history' | 'engine current revision';
  /** The environment's commits the revision contains (itself and its ancestors), within the report's reach. */
  includes: string[];
}

/** One of rewind's rollback or emergency runs of the target (drill runs are not incidents). */
export interface RestoreRun {
  workflowId: string;
  runId: string;
  runbook: string;
  phase: string;
  startedAt: string;
  /** The promotion watch's first failed verification, when the run came from it. */
  detectedAt?: string;
  restoredAt?: string;
  /** The promotion a rollback reverted. */
  promotion?: string;
  /** rewind's commit: the revert, or the emergency change. */
  commit?: string;
}

export interface DoraInput {
  app: string;
  env: string;
  from: string;
  to: string;
  /** A rollback, emergency run or revert this soon after a promotion's deployment counts it as failed. */
  failureWindowMs: number;
  changes: ConfigChange[];
  deployments: EngineDeployment[];
  runs: RestoreRun[];
}

/** What undid or repaired a promotion. */
export interface PromotionFailure {
  by: 'rollback run' | 'emergency run' | 'revert';
  /** The run's workflow id and run id, or the revert commit. */
  ref: string;
  at: string;
}

export interface PromotionRow {
  sha: string;
  subject: string;
  author: string;
  committedAt: string;
  /** When the engine first applied a revision containing it (healthy, or health unrecorded). */
  deployedAt?: string;
  /** Applied, but the time is not in the engine's history any more. */
  deployedUntimed?: boolean;
  /** The engine applied it, and its health checks failed (Flux). */
  unhealthy?: boolean;
  revision?: string;
  deploySource?: EngineDeployment['source'];
  leadTimeMs?: number;
  failure?: PromotionFailure;
}

export interface RestoreRow {
  workflowId: string;
  runId: string;
  runbook: string;
  phase: string;
  /** Detection, else the run's start: where time to restore begins. */
  from: string;
  fromKind: 'detected' | 'requested';
  restoredAt?: string;
  timeToRestoreMs?: number;
  promotion?: string;
  commit?: string;
}

export interface Stat {
  count: number;
  medianMs?: number;
  p90Ms?: number;
}

export interface DoraKeys {
  /** Promotions deployed in the window, per day over it. */
  deploymentFrequency: { deployed: number; days: number; perDay: number; perWeek: number };
  leadTime: Stat & { untimed: number };
  changeFailureRate: { failed: number; deployed: number; rate?: number };
  /** `notRestored`: runs that ended without restoring service; `open`: runs still going. */
  timeToRestore: Stat & { notRestored: number; open: number };
}

export interface DoraReport {
  app: string;
  env: string;
  from: string;
  to: string;
  failureWindowMs: number;
  keys: DoraKeys;
  promotions: PromotionRow[];
  restores: RestoreRow[];
  /** What the records could not tell, in words. */
  notes: string[];
}
