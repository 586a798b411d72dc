/**
 * Argo CD Applications, through the Kubernetes API. The Application CRD has no status
 * subresource: everything is read from and written to the object itself.
 */
import { shaOfRevision } from '../../src/lib/git/sha.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { ARGO_REFRESH, ARGO_TRACKING_ID } from '../../src/lib/gitops/tracking.js';
import { isConflict } from '../../src/lib/kube/errors.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import {
  FailureType,
  type AutoSyncPolicy,
  type EngineRef,
  type EngineState,
  type PauseLease,
} from '../../workflows/types.js';
import { type EngineDeploymentRecord, PAUSE_LEASE_ANNOTATION, parseLease, type GitOpsEngine } from './engine.js';

const GROUP = 'argoproj.io',
  VERSION = 'v1alpha1',
  PLURAL = 'applications';

interface Automated {
  prune?: boolean;
  selfHeal?: boolean;
  allowEmpty?: boolean;
  enabled?: boolean;
}
interface Application {
  metadata: {
    name: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
  spec: { syncPolicy?: { automated?: Automated | null; syncOptions?: string[] } };
  operation?: unknown;
  status?: {
    history?: Array<{ revision?: string; deployedAt?: string }>;
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      syncResult?: {
        revision?: string;
        resources?: Array<{ kind?: string; namespace?: string; name?: string; message?: string; status?: string }>;
      };
    };
  };
}

/** Auto-sync is on when `automated` is present and not explicitly disabled (`enabled: false`, Argo CD 3.x). */
export const argoAutoSyncOn = (a: Automated | null | undefined): boolean => !!a && a.enabled !== false;

/** The last sync operation, when it ended Failed or Error: Argo CD does not retry it unless a retry policy says so. */
function failedSync(app: Application): EngineState['failure'] | undefined {
  const op = app.status?.operationState;
  if (!op || (op.phase !== 'Failed' && op.phase !== 'Error')) return undefined;
  return {
    at: op.finishedAt ?? op.startedAt ?? '',
    reason: `sync ${op.phase}`,
    message: op.message ?? '',
    revision: op.syncResult?.revision,
  };
}

export function argoEngine(kc: KubeConfig, ref: Extract<EngineRef, { kind: 'argocd' }>): GitOpsEngine {
  const path =
    `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(ref.namespace)}` +
    `/${PLURAL}/${encodeURIComponent(ref.name)}`;
  /** The Application; a missing one is a KubeApiError 404, not undefined. */
  const get = async () => (await restFor(kc)).request<Application>('GET', path);
  const patch = async (body: object) => (await restFor(kc)).mergePatch(path, body);

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
      ...(failedSync(app) ? { failure: failedSync(app)! } : {}),
      resourceVersion: app.metadata.resourceVersion ?? '',
    };
  };

  return {
    async state() {
      return toState(await get());
    },

    async requestRefresh(_token, revision, force = false) {
      await patch({ metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } });
      // The controller rewrites status all the time: re-read and retry a conflicting conditional write at once.
      for (let attempt = 1; ; attempt++) {
        const app = await get();
        if (!revision || (!force && argoAutoSyncOn(app.spec.syncPolicy?.automated)))
          return { annotated: `${ARGO_REFRESH}=normal`, syncRequested: false };
        if (!force && app.status?.sync?.revision === revision && app.status.sync.status === 'Synced')
          return { annotated: `${ARGO_REFRESH}=normal`, syncRequested: false };
        // Auto-sync is off (or a rebuild needs a sync now): ask for the sync too, but never on top
        // of an operation already in flight (Argo would drop one of them).
        if (app.operation || app.status?.operationState?.phase === 'Running') {
          throw ApplicationFailure.retryable(
            `Argo CD application ${ref.name} has a sync operation in progress`,
            FailureType.EngineBusy,
          );
        }
        try {
          // A sync rewind asks for behaves as the app's own auto-sync would: prune only if its policy
          // (recorded in the pause lease while paused) prunes, with the app's sync options.
          const policy = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION])?.policy;
          const automated =
            app.spec.syncPolicy?.automated ?? (policy?.engine === 'argocd' ? policy.automated : undefined);
          const syncOptions = app.spec.syncPolicy?.syncOptions;
          await patch({
            metadata: { resourceVersion: app.metadata.resourceVersion },
            operation: {
              initiatedBy: { username: 'rewind' },
              sync: {
                revision,
                prune: automated?.prune === true,
                ...(syncOptions?.length ? { syncOptions } : {}),
                syncStrategy: { hook: {} },
              },
            },
          });
          return { annotated: `${ARGO_REFRESH}=normal`, syncRequested: true };
        } catch (err) {
          if (!isConflict(err) || attempt >= 10) throw err;
        }
      }
    },

    syncedAt(state, sha) {
      return (
        state.syncStatus === 'Synced' &&
        shaOfRevision(state.syncedRevision) === sha &&
        state.operationPhase !== 'Running'
      );
    },

    watchPaths() {
      return [
        {
          path: `/apis/${GROUP}/${VERSION}/namespaces/${ref.namespace}/${PLURAL}`,
          fieldSelector: `metadata.name=${ref.name}`,
        },
      ];
    },

    async requestFetch() {
      await patch({ metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } });
      return `${ARGO_REFRESH}=normal`;
    },

    async fetchedRevision() {
      // The revision the last comparison used; with auto-sync paused Argo CD still compares.
      return shaOfRevision((await get()).status?.sync?.revision);
    },

    fetchWatchPaths() {
      return this.watchPaths();
    },

    async operationInFlight() {
      const app = await get();
      if (app.operation) return `a sync of ${app.metadata.name} is queued (.operation set)`;
      if (app.status?.operationState?.phase === 'Running')
        return `a sync of ${app.metadata.name} is running (started ${app.status.operationState.startedAt ?? '?'})`;
      // Found by the outage test: when the API server restarts right after the pause, the controller
      // may still judge from a cached Application with auto-sync on until it re-lists (~5 s), and
      // self-heal put Git's value back over the patch. Until it clears the refresh requested with the
      // pause, it may not have seen the pause.
      if (app.metadata.annotations?.[ARGO_REFRESH])
        return `Argo CD has not reconciled ${app.metadata.name} since the pause yet (${ARGO_REFRESH} still set)`;
      return undefined;
    },

    async releaseLease(runId: string) {
      const app = await get();
      if (parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION])?.runId !== runId) return false;
      await patch({
        metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [PAUSE_LEASE_ANNOTATION]: null } },
      });
      return true;
    },

    async dependencies() {
      // Sync waves and app-of-apps order things inside Argo CD; an Application declares no dependencies.
      return [];
    },

    async deployments() {
      const app = await get();
      // Argo CD appends to status.history, oldest first; a record is written when a sync finishes.
      const records: EngineDeploymentRecord[] = (app.status?.history ?? []).flatMap((h) => {
        const revision = shaOfRevision(h.revision);
        return revision && h.deployedAt
          ? [{ revision, at: h.deployedAt, source: 'argocd status.history' as const }]
          : [];
      });
      records.reverse();
      const current = shaOfRevision(toState(app).syncedRevision);
      if (current) records.push({ revision: current, source: 'engine current revision' });
      return records;
    },

    async lastSync() {
      const op = (await get()).status?.operationState;
      if (!op?.syncResult) return undefined;
      // Argo CD's own words per object: "configmap/x configured", "… created", "… pruned", "… unchanged".
      const changed = (op.syncResult.resources ?? [])
        .filter((r) => /\b(configured|created|pruned)\b/.test(r.message ?? ''))
        .map((r) => ({
          kind: r.kind ?? '',
          namespace: r.namespace ?? '',
          name: r.name ?? '',
          message: r.message ?? '',
        }));
      return { revision: op.syncResult.revision, startedAt: op.startedAt, finishedAt: op.finishedAt, changed };
    },

    async pauseAutoSync(lease: PauseLease) {
      const app = await get();
      const automated = app.spec.syncPolicy?.automated;
      const held = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId === lease.runId) return held.policy ?? null; // a retry after the pause succeeded
      if (!argoAutoSyncOn(automated)) return null;
      const policy: AutoSyncPolicy = { engine: 'argocd', automated: { ...automated } };
      // One conditional write: the lease and the pause land together or not at all (409 → retry).
      // The refresh request rides along: the controller clears it only after reconciling an
      // Application at least this new, which proves its cache has seen the pause (see operationInFlight).
      await patch({
        metadata: {
          resourceVersion: app.metadata.resourceVersion,
          annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy }), [ARGO_REFRESH]: 'normal' },
        },
        spec: { syncPolicy: { automated: null } },
      });
      return policy;
    },

    async resumeAutoSync(policy: AutoSyncPolicy) {
      if (policy.engine !== 'argocd')
        throw ApplicationFailure.nonRetryable(
          'a Flux policy cannot resume an Argo CD application',
          FailureType.BadInput,
        );
      await patch({
        metadata: { annotations: { [PAUSE_LEASE_ANNOTATION]: null } },
        spec: { syncPolicy: { automated: policy.automated } },
      });
    },

    async renewLease(lease: PauseLease) {
      const app = await get();
      const held = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId !== lease.runId) return false;
      await patch({
        metadata: {
          resourceVersion: app.metadata.resourceVersion,
          annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy: held.policy }) },
        },
      });
      return true;
    },

    async pauseInfo() {
      const app = await get();
      // An ApplicationSet, or a parent app (app-of-apps) tracking this Application, re-applies its spec.
      const parentApp = app.metadata.annotations?.[ARGO_TRACKING_ID]?.split(':')[0];
      const owner =
        app.metadata.ownerReferences?.find((o) => o.kind === 'ApplicationSet') ??
        (parentApp ? { kind: 'Application', name: parentApp } : undefined);
      const automated = app.spec.syncPolicy?.automated;
      return {
        lease: parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]),
        ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
        autoSync: argoAutoSyncOn(automated) ? { engine: 'argocd' as const, automated: { ...automated } } : null,
      };
    },
  };
}
