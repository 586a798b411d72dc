/**
 * Types of the per-target watch: what it journals (live edits, and syncs that overwrote live
 * state), its cursor and its workflow input. Pure types and constants only: bundled into the
 * workflow sandbox and imported by the watch activities and src/lib/watch/.
 */
import type { TargetSnapshot } from '../types.js';
import type { PromotionWatchState } from './promotion-types.js';

/**
 * A field value as journaled: the live value, except Secret data (never recorded: a
 * "(secret value, sha256 <8 hex>)" string instead) and long values (cut at 512 characters with
 * a marker). `undefined` = the field did not exist.
 */
export type JournalValue = unknown;

/** Who wrote a field, from the object's metadata.managedFields. */
export interface FieldWriter {
  /**
   * The field manager, e.g. `kubectl-edit`, `argocd-controller`, `kustomize-controller`, `rewind`;
   * `unknown` when no entry accounts for the change.
   */
  manager: string;
  /** managedFields operation: `Update` or `Apply`. */
  operation?: string;
  /** The entry's time (the manager's last write to this object; second precision). */
  time?: string;
}

/** A change to a live object made by anyone other than the target's GitOps engine. */
export interface LiveEdit {
  /** When rewind saw the new object version (ISO). */
  at: string;
  /** `kind/name` in lower case, e.g. `configmap/users-api-env` (the emergency path's object syntax). */
  object: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** JSON pointer of the changed leaf field, e.g. `/data/DB_HOST`. */
  path: string;
  before: JournalValue;
  after: JournalValue;
  manager: string;
  operation?: string;
  resourceVersion: string;
}

/**
 * Where the value a sync overwrote came from:
 * - `live-edit`: a live edit (seen by the watch, or named by managedFields): the drift incident;
 * - `sync`: an earlier sync wrote it, or Git held it (`heldByGit`), so Git itself moved on (a promotion);
 * - `unknown`: it predates the watch and managedFields do not say.
 */
export type OverwriteOrigin = 'live-edit' | 'sync' | 'unknown';

/** A sync by the target's engine that changed a live field's value. */
export interface Overwrite {
  /** When rewind saw the sync's object version (ISO). */
  at: string;
  object: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  path: string;
  /** The value live had just before the sync. */
  liveBefore: JournalValue;
  /** The value the sync wrote (Git's). */
  git: JournalValue;
  origin: OverwriteOrigin;
  /** Who made the live edit the sync overwrote, when known. */
  editedBy?: string;
  /** When: the edit rewind saw, else the manager's managedFields time (its last write, at or after the edit). */
  editedAt?: string;
  /** The engine's revision at that moment: Argo CD's operation/sync revision, Flux's lastAttemptedRevision. */
  syncRevision?: string;
  /** The manager of the sync write (e.g. `argocd-controller`). */
  syncManager: string;
  resourceVersion: string;
  /**
   * Set when the live value was an edit that Git then held (this commit): the sync applied Git moving on, not drift.
   */
  heldByGit?: string;
}

/**
 * Where observeTarget resumes: the last resourceVersion seen per watched collection. The object
 * versions themselves stay in the worker's memory under `id`; a worker that does not hold that
 * id (restart, another worker) lists the objects as they were at these resourceVersions, or,
 * once etcd has compacted them, starts a new baseline.
 */
export interface WatchCursor {
  id: string;
  resourceVersions: Record<string, string>;
}

export interface ObserveInput {
  target: TargetSnapshot;
  cursor?: WatchCursor;
  /** Return after this long even with nothing observed. */
  maxMs: number;
  /**
   * The revision the engine had synced when the watch last looked: a different one returns at once
   * (the promotion watch).
   */
  knownRevision?: string;
}

export interface ObserveResult {
  cursor: WatchCursor;
  edits: LiveEdit[];
  overwrites: Overwrite[];
  /**
   * Set when this call listed afresh without earlier versions in memory: changes made before it have no before-value.
   */
  baselineAt?: string;
  /** Kinds rewind may not list or watch here (RBAC), so their edits go unseen. */
  unwatched: string[];
  /** The commit the engine has finished syncing, as its object last said, and when rewind saw it become that. */
  synced?: { revision: string; at: string };
}

/** What the watch of one target has seen, newest last; trimmed to the last 200 edits and 100 overwrites. */
export interface Journal {
  app: string;
  env: string;
  /** When this target's watch first started (carried across continue-as-new). */
  watchingSince: string;
  /** When observeTarget last returned. */
  lastObservedAt?: string;
  edits: LiveEdit[];
  overwrites: Overwrite[];
  /**
   * Times the watch started a new baseline (first start, worker restart): edits just before them
   * may be missing. Last 20.
   */
  baselines: string[];
  unwatched: string[];
}

export const JOURNAL_LIMITS = { edits: 200, overwrites: 100, baselines: 20 } as const;

export interface TargetWatchInput {
  target: TargetSnapshot;
  journal?: Journal;
  /** The promotion watch's state (workflows/watch/promotion-watch.ts), carried across continue-as-new. */
  promotions?: PromotionWatchState;
  /** Carried across continue-as-new so the same worker resumes without a new baseline. */
  cursor?: WatchCursor;
}

/**
 * What a watch depends on in a target snapshot; when it changes the watch must start over (owners
 * or health settings do not matter).
 */
export const watchKey = (t: Pick<TargetSnapshot, 'cluster' | 'engine' | 'namespace'>): string =>
  JSON.stringify([
    t.cluster,
    t.namespace,
    t.engine.kind,
    t.engine.namespace,
    t.engine.name,
    t.engine.kind === 'flux' ? (t.engine.source ?? '') : '',
  ]);

/** `rewind-watch/<app>/<env>`: apart from the runbook lock `rewind/<app>/<env>`, so a watch never blocks a run. */
export const watchWorkflowId = (app: string, env: string): string => `rewind-watch/${app}/${env}`;

export interface RecentOverwrites {
  /** False when no watch runs for the target: then nothing is known, which is not "nothing happened". */
  watched: boolean;
  overwrites: Overwrite[];
  /** The live edits since `since` (some may have been overwritten since). */
  edits: LiveEdit[];
  watchingSince?: string;
  /** Baselines after `since`: a live edit just before one of them may be missing. */
  baselinesSince: string[];
}

/**
 * A short digest of everything in a target snapshot (FNV-1a over its JSON): kept in the watch's
 * memo, so ensureTargetWatches can tell a watch running with an older rewind.yaml (another
 * verification, autoRollback, owners) and hand it the new snapshot. Pure and deterministic.
 */
export function snapshotDigest(t: TargetSnapshot): string {
  const text = JSON.stringify(t);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
