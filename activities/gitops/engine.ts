/**
 * One interface over the GitOps engines rewind drives. Both engines are driven only
 * through the Kubernetes API (their CRs), so rewind needs no Argo CD API token.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { AutoSyncPolicy, EngineRef, EngineState } from '../../workflows/types.js';

export interface RefreshResult { annotated: string; syncRequested: boolean }

export interface GitOpsEngine {
  state(): Promise<EngineState>;
  /** Make the engine look at Git now instead of after its poll interval; with auto-sync off, also ask for a sync to `revision`. */
  requestRefresh(token: string, revision?: string): Promise<RefreshResult>;
  /** True when the engine has applied `sha` (or reports it as its synced revision). */
  syncedAt(state: EngineState, sha: string): boolean;
  /** Paths to watch for changes of the engine object(s). */
  watchPaths(): Array<{ path: string; fieldSelector: string }>;
  /** Returns the policy in force before the pause, so resume can restore it exactly. */
  pauseAutoSync(): Promise<AutoSyncPolicy | null>;
  resumeAutoSync(policy: AutoSyncPolicy): Promise<void>;
}

export type EngineFactory = (kc: KubeConfig, ref: EngineRef) => GitOpsEngine;

/** The commit sha inside an engine revision string (`main@sha1:<sha>` for Flux, the bare sha for Argo). */
export function shaOf(revision: string | undefined): string | undefined {
  if (!revision) return undefined;
  const m = /(?:sha1:)?([0-9a-f]{40})$/.exec(revision);
  return m?.[1];
}
