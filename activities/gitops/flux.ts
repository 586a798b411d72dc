/**
 * Flux Kustomizations (and their GitRepository source), through the Kubernetes API.
 * Both kinds have a status subresource; rewind only writes spec and metadata.
 */
import * as k8s from '@kubernetes/client-node';
import { FLUX_REQUESTED_AT } from '../../src/gitops/tracking.js';
import type { AutoSyncPolicy, EngineRef, EngineState, PauseLease } from '../../workflows/types.js';
import { PAUSE_LEASE_ANNOTATION, parseLease, shaOf, type GitOpsEngine } from './engine.js';

const KS = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
const GITREPO = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' };
const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

interface Condition { type: string; status: string; reason?: string; message?: string }
interface Kustomization {
  metadata: { name: string; resourceVersion?: string; generation?: number; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> };
  spec: { suspend?: boolean; sourceRef?: { kind?: string; name?: string; namespace?: string } };
  status?: { conditions?: Condition[]; lastAppliedRevision?: string; lastAttemptedRevision?: string; observedGeneration?: number };
}

function healthOf(ready: Condition | undefined): { health: string; message?: string } {
  if (!ready) return { health: 'Progressing', message: 'no Ready condition yet' };
  if (ready.status === 'True') return { health: 'Healthy', message: ready.message };
  if (ready.status === 'False') return { health: ready.reason === 'Progressing' ? 'Progressing' : 'Degraded', message: `${ready.reason ?? ''}: ${ready.message ?? ''}` };
  return { health: 'Progressing', message: ready.message };
}

export function fluxEngine(kc: k8s.KubeConfig, ref: Extract<EngineRef, { kind: 'flux' }>): GitOpsEngine {
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const id = { ...KS, namespace: ref.namespace, name: ref.name };
  const get = async () => (await co.getNamespacedCustomObject(id)) as Kustomization;

  return {
    async state() {
      const ks = await get();
      const ready = ks.status?.conditions?.find((c) => c.type === 'Ready');
      const { health, message } = healthOf(ready);
      const applied = ks.status?.lastAppliedRevision;
      const inSync = !!applied && applied === ks.status?.lastAttemptedRevision && ready?.status === 'True';
      return {
        engine: 'flux',
        syncStatus: inSync ? 'Synced' : 'OutOfSync',
        syncedRevision: applied,
        health, healthMessage: message,
        autoSync: ks.spec.suspend ? null : { engine: 'flux', suspend: false },
        resourceVersion: ks.metadata.resourceVersion ?? '',
      };
    },

    async requestRefresh(token) {
      const ks = await get();
      const annotations = { metadata: { annotations: { [FLUX_REQUESTED_AT]: token } } };
      // Like `flux reconcile kustomization --with-source`: fetch the source first, then apply.
      const source = ref.source ?? (ks.spec.sourceRef?.kind === 'GitRepository' ? ks.spec.sourceRef.name : undefined);
      if (source) {
        await co.patchNamespacedCustomObject({ ...GITREPO, namespace: ks.spec.sourceRef?.namespace ?? ref.namespace, name: source, body: annotations }, merge);
      }
      await co.patchNamespacedCustomObject({ ...id, body: annotations }, merge);
      return { annotated: `${FLUX_REQUESTED_AT}=${token}`, syncRequested: false };
    },

    syncedAt(state, sha) {
      return shaOf(state.syncedRevision) === sha;
    },

    watchPaths() {
      return [{ path: `/apis/${KS.group}/${KS.version}/namespaces/${ref.namespace}/${KS.plural}`, fieldSelector: `metadata.name=${ref.name}` }];
    },

    async pauseAutoSync(lease: PauseLease) {
      const ks = await get();
      const held = parseLease(ks.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId === lease.runId) return held.policy ?? null;
      if (ks.spec.suspend) return null;
      const policy: AutoSyncPolicy = { engine: 'flux', suspend: false };
      await co.patchNamespacedCustomObject({ ...id, body: {
        metadata: { resourceVersion: ks.metadata.resourceVersion, annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy }) } },
        spec: { suspend: true },
      } }, merge);
      return policy;
    },

    async resumeAutoSync(policy: AutoSyncPolicy) {
      if (policy.engine !== 'flux') throw new Error('an Argo CD policy cannot resume a Flux Kustomization');
      await co.patchNamespacedCustomObject({ ...id, body: { metadata: { annotations: { [PAUSE_LEASE_ANNOTATION]: null } }, spec: { suspend: false } } }, merge);
    },

    async renewLease(lease: PauseLease) {
      const app = await get();
      const held = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId !== lease.runId) return false;
      await co.patchNamespacedCustomObject({ ...id, body: { metadata: { resourceVersion: app.metadata.resourceVersion, annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy: held.policy }) } } } }, merge);
      return true;
    },

    async pauseInfo() {
      const ks = await get();
      // A Kustomization applied by a parent Kustomization gets its spec (suspend too) re-applied from Git.
      const parent = ks.metadata.ownerReferences?.[0];
      return {
        lease: parseLease(ks.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]),
        ...(parent ? { owner: `${parent.kind}/${parent.name}` } : {}),
        autoSync: ks.spec.suspend ? null : { engine: 'flux' as const, suspend: false as const },
      };
    },
  };
}
