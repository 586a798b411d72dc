/**
 * What a run finds before it acts, and what it plans to change: the promotion, drift, the engine's state, live changes,
 * their Git edits and the pause lease. Pure types and constants only: bundled into the workflow sandbox.
 */
import type { EngineRef } from './target.js';

export interface ImageChange {
  container: string;
  object: string;
  from: string;
  to: string;
}

export interface ConfigChange {
  object: string;
  key: string;
  from?: string;
  to?: string;
}

/** What a promotion commit changed, by layer, from rendering the environment before and after it. */
export interface PromotionDescription {
  sha: string;
  parent: string;
  subject: string;
  author: string;
  date: string;
  url?: string;
  images: ImageChange[];
  config: ConfigChange[];
  added: string[];
  removed: string[];
  otherChanged: string[];
  /** Jobs and sync hooks it added or changed that look like migrations: a revert does not undo them. */
  migrations?: MigrationHint[];
  /** The rollback contract it declares, if any. */
  rollbackContract?: RollbackContract;
  /** Every file the commit changed, in the whole repository (at most 200; `filesTruncated` when more). */
  files?: string[];
  filesTruncated?: boolean;
}

/** A Job or sync hook of a promotion that looks like a database migration (src/lib/git/promotion-risks.ts). */
export interface MigrationHint {
  object: string;
  why: string;
}

/**
 * How a promotion says it may be rolled back, by a `Rollback-Contract:` commit trailer or the
 * `rewind.dev/rollback-contract` annotation: `automatic` (a revert is safe), `manual` (a revert
 * needs the steps its author wrote), `impossible` (roll forward instead), or `unknown` (a value
 * rewind does not know, kept in `value`).
 */
export interface RollbackContract {
  contract: 'automatic' | 'manual' | 'impossible' | 'unknown';
  from: string;
  value?: string;
}

export interface FieldDrift {
  path: string;
  desired: unknown;
  live: unknown;
}

export interface ObjectDrift {
  object: string;
  kind: 'missing' | 'extra' | 'modified';
  fields: FieldDrift[];
  allowed: FieldDrift[];
}

export interface DriftReport {
  revision: string;
  objects: ObjectDrift[];
  real: number;
  allowedOnly: number;
  /** Objects Git renders that rewind is not allowed to read (RBAC): not compared, so say so. */
  unreadable?: string[];
}

export interface EngineState {
  engine: EngineRef['kind'];
  syncStatus: string;
  syncedRevision?: string;
  health: string;
  healthMessage?: string;
  /**
   * When the engine last established its health verdict, where that is not continuous: a Flux
   * Kustomization judges health only when it reconciles, and a suspended one keeps its last
   * verdict. Undefined for Argo CD, which recomputes health on every resource change.
   */
  healthObservedAt?: string;
  /** A failure that does not recover by itself (a failed sync, a manifest that does not build). */
  failure?: { at: string; reason: string; message: string; revision?: string };
  autoSync: AutoSyncPolicy | null;
  operationPhase?: string;
  resourceVersion: string;
  /**
   * Flux: the Kustomizations this one `dependsOn`, with the path each applies from the same
   * source; one that looks like a database migration says why (its name or path).
   */
  dependsOn?: EngineDependency[];
}

export interface EngineDependency {
  name: string;
  namespace: string;
  /** Its `spec.path`, normalized (no `./`), when it reads the same GitRepository as this one. */
  path?: string;
  migration?: string;
}

/** What the engine's last sync changed, object by object, as the engine itself reports it. */
export interface SyncReport {
  revision?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Objects the sync created, configured or pruned (unchanged ones are left out). */
  changed: Array<{ kind: string; namespace: string; name: string; message: string }>;
}

/** The exact auto-sync policy in force, so a resume restores it and nothing else. */
export type AutoSyncPolicy =
  | { engine: 'argocd'; automated: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean } }
  | { engine: 'flux'; suspend: false };

/** One live change of the emergency path. */
export interface LiveChange {
  object: { apiVersion: string; kind: string; namespace: string; name: string };
  /**
   * 'merge' = JSON merge patch (ConfigMaps, custom resources); 'strategic' = strategic merge
   * (built-in workloads: lists merge by name).
   */
  patchType: 'merge' | 'strategic';
  patch: Record<string, unknown>;
  /**
   * Explicit Git location when rewind cannot find it: a repo-relative file and a dotted YAML path
   * inside the document for the object.
   */
  gitFile?: string;
  gitPath?: string;
  /**
   * How far the Git edit may reach. 'env': only this environment renders differently; a field
   * that only a layer shared with other environments sets (a kustomize base) goes into a patch in
   * the environment's own overlay, and the plan refuses edits that would change what any other
   * environment renders. 'base' (`--git-base`): the field is edited where it is defined, shared or
   * not, and the plan lists the other environments that change with it. An explicit gitFile
   * still names the place; this only decides whether other environments may change.
   * @default 'env'
   */
  gitScope?: GitScope;
}

/** See LiveChange.gitScope. */
export type GitScope = 'env' | 'base';

/** Where in Git a live change goes: one edit per changed field (src/lib/git/locate-source.ts). */
export interface GitEdit {
  file: string;
  docIndex: number;
  yamlPath: Array<string | number>;
  value: unknown;
  before: unknown;
  why: string;
  /**
   * True when the edit deletes the key at yamlPath (a `null` in the patch, for a field defined in a
   * resource file); `value` is then null.
   */
  remove?: boolean;
  /**
   * True on the edit that creates `file` (a new patch in the environment's overlay): `value` is its
   * whole text; the edits after it fill it in.
   */
  newFile?: boolean;
}

/** Who paused auto-sync, why and until when; stored on the engine object with the recorded policy. */
export interface PauseLease {
  by: string;
  reason: string;
  incidentId?: string;
  runId: string;
  pausedAt: string;
  expiresAt: string;
  policy?: AutoSyncPolicy | null;
}

export interface EmergencyPlan {
  changes: Array<{ object: string; resourceVersion: string; fields: FieldDrift[] }>;
  /** How a changed ConfigMap/Secret reaches the workloads that read it, one line each. */
  readers: string[];
  /**
   * Workloads rewind restarts right after the patch (they read the change through env), e.g. `deployment/users-api`.
   */
  restarts: string[];
  gitEdits: GitEdit[];
  gitDiff: string;
  engine: EngineState;
  warnings: string[];
}

export interface RollbackPlan {
  promotion: PromotionDescription;
  engine: EngineState;
  drift: DriftReport;
  /**
   * What changed besides the promotion: live edits a sync overwrote, objects the sync changed that
   * Git did not (workflows/diagnosis.ts).
   */
  environment?: { lines: string[]; nextCommands: string[]; complete: boolean };
  warnings: string[];
}
