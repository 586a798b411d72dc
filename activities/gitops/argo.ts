/**
 * Argo CD Applications, through the Kubernetes API. The Application CRD has no status
 * subresource: everything is read from and written to the object itself.
 */
import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { ARGO_REFRESH, ARGO_TRACKING_ID } from '../../src/gitops/tracking.js';
import { FailureType, type AutoSyncPolicy, type EngineRef, type EngineState, type PauseLease } from '../../workflows/types.js';
import { PAUSE_LEASE_ANNOTATION, parseLease, shaOf, type GitOpsEngine } from './engine.js';

const GROUP = 'argoproj.io', VERSION = 'v1alpha1', PLURAL = 'applications';
const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

interface Automated { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean }
interface Application {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> };
  spec: { syncPolicy?: { automated?: Automated | null } };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; syncResult?: { revision?: string } };
  };
}

/** Auto-sync is on when `automated` is present and not explicitly disabled (`enabled: false`, Argo CD 3.x). */
export const argoAutoSyncOn = (a: Automated | null | undefined): boolean => !!a && a.enabled !== false;

export function argoEngine(kc: k8s.KubeConfig, ref: Extract<EngineRef, { kind: 'argocd' }>): GitOpsEngine {
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const id = { group: GROUP, version: VERSION, plural: PLURAL, namespace: ref.namespace, name: ref.name };
  const get = async () => (await co.getNamespacedCustomObject(id)) as Application;
  const patch = (body: object) => co.patchNamespacedCustomObject({ ...id, body }, merge);

  const toState = (app: Application): EngineState => {
    const automated = app.spec.syncPolicy?.automated;
    return {
      engine: 'argocd',
      syncStatus: app.status?.sync?.status ?? 'Unknown',
      syncedRevision: app.status?.sync?.revision,
      health: app.status?.health?.status ?? 'Unknown',
      healthMessage: app.status?.health?.message,
      autoSync: argoAutoSyncOn(automated) ? { engine: 'argocd', automated: { ...automated } } : null,
      operationPhase: app.status?.operationState?.phase,
      resourceVersion: app.metadata.resourceVersion ?? '',
    };
  };

  return {
    async state() { return toState(await get()); },

    async requestRefresh(_token, revision, force = false) {
      await patch({ metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } });
      // The controller rewrites status all the time: re-read and retry a conflicting conditional write at once.
      for (let attempt = 1; ; attempt++) {
        const app = await get();
        if (!revision || (!force && argoAutoSyncOn(app.spec.syncPolicy?.automated))) return { annotated: `${ARGO_REFRESH}=normal`, syncRequested: false };
        if (!force && app.status?.sync?.revision === revision && app.status.sync.status === 'Synced') return { annotated: `${ARGO_REFRESH}=normal`, syncRequested: false };
        // Auto-sync is off (or a rebuild needs a sync now): ask for the sync too, but never on top
        // of an operation already in flight (Argo would drop one of them).
        if (app.operation || app.status?.operationState?.phase === 'Running') {
          throw ApplicationFailure.retryable(`Argo CD application ${ref.name} has a sync operation in progress`, FailureType.EngineBusy);
        }
        try {
          await patch({
            metadata: { resourceVersion: app.metadata.resourceVersion },
            operation: { initiatedBy: { username: 'rewind' }, sync: { revision, prune: true, syncStrategy: { hook: {} } } },
          });
          return { annotated: `${ARGO_REFRESH}=normal`, syncRequested: true };
        } catch (err) {
          if ((err as { code?: number }).code !== 409 || attempt >= 10) throw err;
        }
      }
    },

    syncedAt(state, sha) {
      return state.syncStatus === 'Synced' && shaOf(state.syncedRevision) === sha && state.operationPhase !== 'Running';
    },

    watchPaths() {
      return [{ path: `/apis/${GROUP}/${VERSION}/namespaces/${ref.namespace}/${PLURAL}`, fieldSelector: `metadata.name=${ref.name}` }];
    },

    async pauseAutoSync(lease: PauseLease) {
      const app = await get();
      const automated = app.spec.syncPolicy?.automated;
      const held = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId === lease.runId) return held.policy ?? null; // a retry after the pause succeeded
      if (!argoAutoSyncOn(automated)) return null;
      const policy: AutoSyncPolicy = { engine: 'argocd', automated: { ...automated } };
      // One conditional write: the lease and the pause land together or not at all (409 → retry).
      await patch({
        metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy }) } },
        spec: { syncPolicy: { automated: null } },
      });
      return policy;
    },

    async resumeAutoSync(policy: AutoSyncPolicy) {
      if (policy.engine !== 'argocd') throw ApplicationFailure.nonRetryable('a Flux policy cannot resume an Argo CD application', FailureType.BadInput);
      await patch({ metadata: { annotations: { [PAUSE_LEASE_ANNOTATION]: null } }, spec: { syncPolicy: { automated: policy.automated } } });
    },

    async renewLease(lease: PauseLease) {
      const app = await get();
      const held = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId !== lease.runId) return false;
      await patch({ metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy: held.policy }) } } });
      return true;
    },

    async pauseInfo() {
      const app = await get();
      // An ApplicationSet, or a parent app (app-of-apps) tracking this Application, re-applies its spec.
      const parentApp = app.metadata.annotations?.[ARGO_TRACKING_ID]?.split(':')[0];
      const owner = app.metadata.ownerReferences?.find((o) => o.kind === 'ApplicationSet') ?? (parentApp ? { kind: 'Application', name: parentApp } : undefined);
      const automated = app.spec.syncPolicy?.automated;
      return {
        lease: parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]),
        ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
        autoSync: argoAutoSyncOn(automated) ? { engine: 'argocd' as const, automated: { ...automated } } : null,
      };
    },
  };
}
