/**
 * The parts of Argo CD's `argoproj.io/v1alpha1` Application that the stand-in reads and writes
 * (field names as in argo-cd `pkg/apis/application/v1alpha1/types.go`).
 */
import type { KubeObject } from '../../lib/gitops/render.js';
import type { IgnoreRule } from './argo-diff.js';
import type { HealthStatus } from './health.js';

export interface AppSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  [k: string]: unknown;
}

export interface Initiator {
  username?: string;
  automated?: boolean;
}

export interface SyncOperation {
  revision?: string;
  prune?: boolean;
  syncStrategy?: unknown;
  syncOptions?: string[];
  [k: string]: unknown;
}

export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: Initiator;
  retry?: unknown;
  info?: unknown;
}

export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string;
  hookPhase: string;
  syncPhase: 'PreSync' | 'Sync';
  /** Container images of a workload, as Argo CD 3 records them per synced resource. */
  images?: string[];
}

export type OperationPhase = 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';

export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  startedAt: string;
  finishedAt?: string;
  /** Absent while Running: Argo CD writes the message when the operation completes. */
  message?: string;
  syncResult?: { revision: string; source: AppSource; resources: ResourceResult[] };
}

export interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt?: string;
  source: AppSource;
  initiatedBy: Initiator;
}

/**
 * One entry of `status.resources`. Argo CD 3 keeps resource health in the resource tree
 * (`status.resourceHealthSource: appTree`), not here, and omits an empty `group`.
 */
export interface ResourceStatus {
  group?: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'Synced' | 'OutOfSync';
  requiresPruning?: boolean;
}

export interface AppStatus {
  sync?: { status: 'Synced' | 'OutOfSync' | 'Unknown'; revision?: string; comparedTo?: unknown };
  health?: { status: HealthStatus; message?: string; lastTransitionTime?: string };
  resources?: ResourceStatus[];
  operationState?: OperationState;
  history?: HistoryEntry[];
  reconciledAt?: string;
  sourceType?: string;
  conditions?: Array<{ type: string; message: string; lastTransitionTime?: string }>;
  [k: string]: unknown;
}

export interface Application extends KubeObject {
  spec: {
    project?: string;
    source?: AppSource;
    destination?: { server?: string; name?: string; namespace?: string };
    syncPolicy?: {
      automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean } | null;
      syncOptions?: string[];
    } | null;
    ignoreDifferences?: IgnoreRule[];
  };
  operation?: Operation | null;
  status?: AppStatus;
}

export const APPLICATIONS = (ns: string) =>
  `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(ns)}/applications`;

/** Whether auto-sync is on: `automated` present and not `enabled: false` (Argo CD 3.x). */
export function autoSyncEnabled(app: Application): boolean {
  const a = app.spec.syncPolicy?.automated;
  return a !== undefined && a !== null && a.enabled !== false;
}
