/**
 * The parts of Flux's GitRepository (`source.toolkit.fluxcd.io/v1`) and Kustomization
 * (`kustomize.toolkit.fluxcd.io/v1`) the stand-in reads and writes, plus the condition helper
 * (fluxcd/pkg `runtime/conditions` semantics: lastTransitionTime moves only when status does).
 */
import type { KubeObject } from '../../lib/gitops/render.js';

export interface FluxCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface Artifact {
  digest: string;
  lastUpdateTime: string;
  path: string;
  revision: string;
  size: number;
  url: string;
}

export interface GitRepository extends KubeObject {
  spec: {
    url: string;
    interval: string;
    ref?: { branch?: string; tag?: string; semver?: string; name?: string; commit?: string };
    suspend?: boolean;
    timeout?: string;
  };
  status?: {
    artifact?: Artifact;
    conditions?: FluxCondition[];
    lastHandledReconcileAt?: string;
    observedGeneration?: number;
  };
}

export interface Kustomization extends KubeObject {
  spec: {
    sourceRef: { kind: string; name: string; namespace?: string };
    path?: string;
    interval: string;
    retryInterval?: string;
    timeout?: string;
    prune: boolean;
    suspend?: boolean;
    wait?: boolean;
    targetNamespace?: string;
    force?: boolean;
  };
  status?: {
    conditions?: FluxCondition[];
    inventory?: { entries: InventoryEntry[] };
    history?: Snapshot[];
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    lastHandledReconcileAt?: string;
    observedGeneration?: number;
  };
}

export interface InventoryEntry {
  id: string;
  v: string;
}

/**
 * One entry of a Kustomization's `status.history` (fluxcd/pkg `meta.Snapshot`): the reconciliations
 * of one set of manifests (`digest`), newest first, at most five.
 */
export interface Snapshot {
  digest: string;
  firstReconciled: string;
  lastReconciled: string;
  /** Go duration string, e.g. `1.234s`. */
  lastReconciledDuration: string;
  /** The Ready reason of the last reconciliation: `ReconciliationSucceeded`, `HealthCheckFailed`… */
  lastReconciledStatus: string;
  metadata?: Record<string, string>;
  totalReconciliations: number;
}

const HISTORY_LIMIT = 5;

/** `history` with one more reconciliation of `digest` recorded (fluxcd/pkg `History.Upsert`). */
export function upsertHistory(
  history: readonly Snapshot[],
  digest: string,
  at: string,
  duration: string,
  status: string,
  metadata: Record<string, string>,
): Snapshot[] {
  const old = history.find((h) => h.digest === digest);
  const entry: Snapshot = old
    ? {
        ...old,
        lastReconciled: at,
        lastReconciledDuration: duration,
        lastReconciledStatus: status,
        metadata,
        totalReconciliations: old.totalReconciliations + 1,
      }
    : {
        digest,
        firstReconciled: at,
        lastReconciled: at,
        lastReconciledDuration: duration,
        lastReconciledStatus: status,
        metadata,
        totalReconciliations: 1,
      };
  return [entry, ...history.filter((h) => h.digest !== digest)].slice(0, HISTORY_LIMIT);
}

export const GIT_REPOSITORIES = (ns: string) =>
  `/apis/source.toolkit.fluxcd.io/v1/namespaces/${encodeURIComponent(ns)}/gitrepositories`;
export const KUSTOMIZATIONS = (ns: string) =>
  `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${encodeURIComponent(ns)}/kustomizations`;

/** `conditions` with `c` set (replacing the same type), keeping lastTransitionTime when the status is unchanged. */
export function setCondition(
  conditions: readonly FluxCondition[],
  c: Omit<FluxCondition, 'lastTransitionTime'>,
  stamp: string,
): FluxCondition[] {
  const old = conditions.find((x) => x.type === c.type);
  const next: FluxCondition = {
    ...c,
    lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : stamp,
  };
  return [...conditions.filter((x) => x.type !== c.type), next].sort((a, b) => rank(a.type) - rank(b.type));
}

export function removeCondition(conditions: readonly FluxCondition[], type: string): FluxCondition[] {
  return conditions.filter((x) => x.type !== type);
}

// The order the real controllers leave them in (Reconciling, Ready, Healthy on a Kustomization;
// Ready, ArtifactInStorage on a GitRepository); readers go by type, humans by order.
const ORDER = ['Reconciling', 'Stalled', 'Ready', 'Healthy', 'ArtifactInStorage', 'FetchFailed'];
const rank = (t: string) => {
  const i = ORDER.indexOf(t);
  return i < 0 ? ORDER.length : i;
};

/** `main@sha1:<sha>` → `<sha>` (Flux v1 revision format); undefined when there is no sha1 part. */
export function shaOfRevision(revision: string | undefined): string | undefined {
  const m = /(?:^|@)sha1:([0-9a-f]{40})$/.exec(revision ?? '');
  return m?.[1];
}
