/**
 * How the watch tells a sync from a person: the field managers the GitOps engines write with,
 * and the revision an engine is applying at a given moment.
 */
import { shaOfRevision } from '../../src/lib/git/sha.js';
import type { EngineRef } from '../../workflows/types.js';
import { fluxAppliedRevision } from '../gitops/flux.js';

/**
 * Field managers whose writes are syncs of the target's engine; any other manager's write is a
 * live edit. Checked against the engines' sources and the real engines of the test world:
 * - Argo CD's application controller writes as `argocd-controller` (Update for client-side
 *   apply, Apply for server-side apply: `common.ArgoCDSSAManager` in argo-cd v3);
 * - Flux's kustomize-controller applies as `kustomize-controller` (server-side apply), and
 *   helm-controller as `helm-controller` for HelmReleases.
 * A person running `argocd app sync` or `flux reconcile` still writes through these controllers,
 * so their syncs count as syncs, which they are.
 */
export const ENGINE_SYNC_MANAGERS: Readonly<Record<EngineRef['kind'], readonly string[]>> = {
  argocd: ['argocd-controller'],
  flux: ['kustomize-controller', 'helm-controller'],
};

export const isSyncManager = (engine: EngineRef['kind'], manager: string): boolean =>
  ENGINE_SYNC_MANAGERS[engine].includes(manager);

interface ArgoApplicationStatus {
  sync?: { revision?: string };
  operationState?: { phase?: string; operation?: { sync?: { revision?: string } }; syncResult?: { revision?: string } };
}
interface FluxStatus {
  lastAttemptedRevision?: string;
  conditions?: Array<{ type?: string; status?: string; message?: string }>;
}

/**
 * The revision the engine is applying (or last applied), from its object as last seen:
 * - Argo CD: the running operation's revision, else the last sync result's, else `status.sync.revision`;
 * - Flux: while reconciling, the revision its Reconciling condition names ("Building manifests
 *   for revision main@sha1:…": `lastAttemptedRevision` moves only when the reconcile ends, after
 *   the objects were applied), else `lastAttemptedRevision`.
 */
export function engineRevision(engine: EngineRef['kind'], obj: unknown): string | undefined {
  const status = (obj as { status?: unknown } | undefined)?.status;
  if (!status || typeof status !== 'object') return undefined;
  if (engine === 'argocd') {
    const s = status as ArgoApplicationStatus;
    const op = s.operationState;
    if (op?.phase === 'Running') return op.operation?.sync?.revision ?? op.syncResult?.revision ?? s.sync?.revision;
    return op?.syncResult?.revision ?? s.sync?.revision;
  }
  const s = status as FluxStatus;
  const reconciling = s.conditions?.find((c) => c.type === 'Reconciling' && c.status === 'True');
  const named = reconciling?.message ? /\brevision (\S+?)(?:\s|$)/.exec(reconciling.message)?.[1] : undefined;
  return named ?? s.lastAttemptedRevision;
}

/**
 * The commit whose objects the engine has finished applying, from its object as last seen, for
 * the promotion watch: Argo CD's last sync operation when it Succeeded (undefined while one runs),
 * Flux's applied revision (an apply whose health check failed was applied all the same).
 */
export function engineSyncedRevision(engine: EngineRef['kind'], obj: unknown): string | undefined {
  const status = (obj as { status?: unknown } | undefined)?.status;
  if (!status || typeof status !== 'object') return undefined;
  if (engine === 'argocd') {
    const op = (status as ArgoApplicationStatus).operationState;
    return op?.phase === 'Succeeded' ? shaOfRevision(op.syncResult?.revision) : undefined;
  }
  return shaOfRevision(fluxAppliedRevision(status as Parameters<typeof fluxAppliedRevision>[0]));
}
