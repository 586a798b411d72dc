/**
 * One interface over the GitOps engines rewind drives. Both engines are driven only
 * through the Kubernetes API (their CRs), so rewind needs no Argo CD API token.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type {
  AutoSyncPolicy,
  EngineDependency,
  EngineRef,
  EngineState,
  PauseLease,
  SyncReport,
} from '../../workflows/types.js';

export interface RefreshResult {
  annotated: string;
  syncRequested: boolean;
}

export interface GitOpsEngine {
  state(): Promise<EngineState>;
  /**
   * Make the engine look at Git now instead of after its poll interval; with auto-sync off (or
   * `force`, e.g. to rebuild deleted objects without self-heal), also ask for a sync to `revision`.
   */
  requestRefresh(token: string, revision?: string, force?: boolean): Promise<RefreshResult>;
  /** True when the engine has applied `sha` (or reports it as its synced revision). */
  syncedAt(state: EngineState, sha: string): boolean;
  /** Paths to watch for changes of the engine object(s). */
  watchPaths(): Array<{ path: string; fieldSelector: string }>;
  /**
   * Make the engine fetch Git now without applying anything, which is safe while auto-sync is
   * paused: Argo CD's refresh (it compares, and syncs only with auto-sync on), Flux's source.
   */
  requestFetch(token: string): Promise<string>;
  /**
   * The commit the engine has fetched and would apply next (Argo `status.sync.revision`, Flux GitRepository artifact).
   */
  fetchedRevision(): Promise<string | undefined>;
  /** Paths to watch for changes of what fetchedRevision() reads. */
  fetchWatchPaths(): Array<{ path: string; fieldSelector: string }>;
  /** What the last sync changed, as the engine reports it; undefined when it has no record. */
  lastSync(): Promise<SyncReport | undefined>;
  /**
   * The revisions the engine records having applied, newest first, with when (Argo CD
   * `status.history`, Flux `status.history`; each keeps only its last few), then the revision it
   * is at now.
   */
  deployments(): Promise<EngineDeploymentRecord[]>;
  /** What must be applied before this (Flux `dependsOn`); none for Argo CD. */
  dependencies(): Promise<EngineDependency[]>;
  /**
   * A sync running or queued right now, or (Argo CD) a controller that has not yet reconciled since
   * the pause, described; undefined when the engine is idle and has seen the pause.
   */
  operationInFlight(): Promise<string | undefined>;
  /** Removes the lease of run `runId` (and nothing else); false when that run holds none. */
  releaseLease(runId: string): Promise<boolean>;
  /**
   * Turns auto-sync off and records the lease on the engine object in the same write. Returns the
   * policy in force before, so resume can restore it exactly; null when auto-sync was already off.
   */
  pauseAutoSync(lease: PauseLease): Promise<AutoSyncPolicy | null>;
  /** Rewrites the lease held by `lease.runId` (new expiry); false when that run holds no lease. */
  renewLease(lease: PauseLease): Promise<boolean>;
  /** Restores `policy` and removes the lease, in one write. */
  resumeAutoSync(policy: AutoSyncPolicy): Promise<void>;
  /** The lease on the engine object, if any, and who owns the object (an ApplicationSet re-enables auto-sync). */
  pauseInfo(): Promise<{ lease?: PauseLease; owner?: string; autoSync: AutoSyncPolicy | null }>;
}

export interface EngineDeploymentRecord {
  /** Full commit sha. */
  revision: string;
  at?: string;
  /** Flux: whether that reconcile's health checks passed; Argo CD records no health (undefined). */
  healthy?: boolean;
  source: 'argocd status.history' | 'flux status.history' | 'engine current revision';
}

export type EngineFactory = (kc: KubeConfig, ref: EngineRef) => GitOpsEngine;

/** The commit sha inside an engine revision string (`main@sha1:<sha>` for Flux, the bare sha for Argo). */

/** Annotation holding a pause lease (JSON), written together with the pause itself. */
export const PAUSE_LEASE_ANNOTATION = 'rewind.dev/pause-lease';

export function parseLease(value: string | undefined): PauseLease | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as PauseLease;
  } catch {
    return undefined;
  }
}
