/**
 * Flux Kustomizations (and their GitRepository source), through the Kubernetes API.
 * Both kinds have a status subresource; rewind only writes spec and metadata.
 */
import { shaOfRevision } from '../../src/lib/git/sha.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { FLUX_REQUESTED_AT } from '../../src/lib/gitops/tracking.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import type { AutoSyncPolicy, EngineDependency, EngineRef, PauseLease } from '../../workflows/types.js';
import { migrationWordIn } from '../../src/lib/git/promotion-risks.js';
import { type EngineDeploymentRecord, PAUSE_LEASE_ANNOTATION, parseLease, type GitOpsEngine } from './engine.js';

const KS = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
const GITREPO = { group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' };

interface ObjectId {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}
const pathOf = (o: ObjectId) =>
  `/apis/${o.group}/${o.version}/namespaces/${encodeURIComponent(o.namespace)}` +
  `/${o.plural}/${encodeURIComponent(o.name)}`;

/** A Kubernetes Event as the API returns it (raw JSON: timestamps are strings). */
interface KubeEvent {
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface Kustomization {
  metadata: {
    name: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
  spec: {
    suspend?: boolean;
    path?: string;
    sourceRef?: { kind?: string; name?: string; namespace?: string };
    dependsOn?: Array<{ name: string; namespace?: string }>;
  };
  status?: {
    conditions?: Condition[];
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    observedGeneration?: number;
    history?: Array<{
      metadata?: { revision?: string };
      firstReconciled?: string;
      lastReconciledStatus?: string;
      lastReconciled?: string;
    }>;
  };
}
interface GitRepository {
  status?: { artifact?: { revision?: string } };
}

/**
 * Health from the Kustomization's conditions. Every reconcile, even one that changes nothing,
 * turns Ready Unknown for a moment ("Reconciliation in progress"); the Healthy condition keeps
 * the last health-check verdict meanwhile, so a routine reconcile is not read as a relapse.
 */
function healthOf(ready: Condition | undefined, healthy: Condition | undefined): { health: string; message?: string } {
  if (!ready) return { health: 'Progressing', message: 'no Ready condition yet' };
  if (ready.status === 'True') return { health: 'Healthy', message: ready.message };
  if (ready.status === 'False')
    return {
      health: ready.reason === 'Progressing' ? 'Progressing' : 'Degraded',
      message: `${ready.reason ?? ''}: ${ready.message ?? ''}`,
    };
  if (healthy?.status === 'True')
    return { health: 'Healthy', message: `${ready.message ?? 'reconciling'}; last health check passed` };
  return { health: 'Progressing', message: ready.message };
}

/**
 * The revision whose objects are live. Flux moves `lastAppliedRevision` only when the apply AND
 * the health checks pass; after a failed health check the attempted revision was applied all
 * the same (status.history records it as HealthCheckFailed). Reading lastAppliedRevision alone
 * makes a live bad promotion look like "OutOfSync at the previous commit".
 */
export function fluxAppliedRevision(status: Kustomization['status']): string | undefined {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  const attempted = status?.lastAttemptedRevision;
  const latest = status?.history?.[0];
  const appliedButUnhealthy =
    ready?.reason === 'HealthCheckFailed' ||
    (latest?.lastReconciledStatus === 'HealthCheckFailed' && latest.metadata?.revision === attempted);
  return appliedButUnhealthy ? attempted : status?.lastAppliedRevision;
}

/** A Kustomization's `spec.path` as a repository path: `./apps/x/` → `apps/x`, `./` → ``. */
export const normalizeFluxPath = (p: string): string => p.replace(/^\.?\/+/, '').replace(/\/+$/, '');

export function fluxEngine(kc: KubeConfig, ref: Extract<EngineRef, { kind: 'flux' }>): GitOpsEngine {
  const id = { ...KS, namespace: ref.namespace, name: ref.name };
  /** The object; a missing one is a KubeApiError 404, not undefined. */
  const read = async <T>(o: ObjectId) => (await restFor(kc)).request<T>('GET', pathOf(o));
  const patch = async (o: ObjectId, body: object) => (await restFor(kc)).mergePatch(pathOf(o), body);
  const get = () => read<Kustomization>(id);
  /** The GitRepository the Kustomization reads (the target's `source`, else its sourceRef). */
  const sourceOf = (ks?: Kustomization) => {
    const name = ref.source ?? (ks?.spec.sourceRef?.kind === 'GitRepository' ? ks.spec.sourceRef.name : undefined);
    return name ? { ...GITREPO, namespace: ks?.spec.sourceRef?.namespace ?? ref.namespace, name } : undefined;
  };
  const source = async (ks?: Kustomization) => {
    const src = sourceOf(ks ?? (ref.source ? undefined : await get()));
    return src ? { id: src, repo: await read<GitRepository>(src) } : undefined;
  };

  return {
    async state() {
      const ks = await get();
      const ready = ks.status?.conditions?.find((c) => c.type === 'Ready');
      const { health, message } = healthOf(
        ready,
        ks.status?.conditions?.find((c) => c.type === 'Healthy'),
      );
      const applied = fluxAppliedRevision(ks.status);
      const fetched = shaOfRevision((await source(ks))?.repo.status?.artifact?.revision);
      const reconciling = ready?.status === 'Unknown';
      const inSync =
        !!applied &&
        !reconciling &&
        (fetched ? shaOfRevision(applied) === fetched : applied === ks.status?.lastAttemptedRevision);
      const observed = [ready?.lastTransitionTime, ks.status?.history?.[0]?.lastReconciled]
        .filter((t): t is string => !!t)
        .sort()
        .at(-1);
      // A manifest that does not build fails the same way on every retry until Git changes.
      const failure =
        ready?.status === 'False' && ready.reason === 'BuildFailed'
          ? {
              at: ready.lastTransitionTime ?? '',
              reason: ready.reason,
              message: ready.message ?? '',
              revision: ks.status?.lastAttemptedRevision,
            }
          : undefined;
      return {
        engine: 'flux',
        syncStatus: inSync ? 'Synced' : 'OutOfSync',
        syncedRevision: applied,
        health,
        healthMessage: message,
        ...(observed ? { healthObservedAt: observed } : {}),
        ...(failure ? { failure } : {}),
        autoSync: ks.spec.suspend ? null : { engine: 'flux', suspend: false },
        resourceVersion: ks.metadata.resourceVersion ?? '',
      };
    },

    async requestRefresh(token) {
      // The source is fetched first by the activity (requestFetch, then waiting for the artifact):
      // refreshing both at once makes the Kustomization reconcile once more at the stale artifact.
      await patch(id, { metadata: { annotations: { [FLUX_REQUESTED_AT]: token } } });
      return { annotated: `${FLUX_REQUESTED_AT}=${token}`, syncRequested: false };
    },

    async requestFetch(token) {
      const src = sourceOf(await get());
      if (!src) return 'no GitRepository source';
      await patch(src, { metadata: { annotations: { [FLUX_REQUESTED_AT]: token } } });
      return `${FLUX_REQUESTED_AT}=${token} on GitRepository ${src.name}`;
    },

    async fetchedRevision() {
      return shaOfRevision((await source())?.repo.status?.artifact?.revision);
    },

    async operationInFlight() {
      const ks = await get();
      const reconciling = ks.status?.conditions?.find((c) => c.type === 'Reconciling');
      const ready = ks.status?.conditions?.find((c) => c.type === 'Ready');
      // A suspended Kustomization finishes the reconcile it had started; until then it may still apply.
      if (reconciling?.status === 'True' || ready?.status === 'Unknown')
        return `${ks.metadata.name} is reconciling (${reconciling?.message ?? ready?.message ?? 'in progress'})`;
      return undefined;
    },

    async releaseLease(runId: string) {
      const ks = await get();
      if (parseLease(ks.metadata.annotations?.[PAUSE_LEASE_ANNOTATION])?.runId !== runId) return false;
      await patch(id, {
        metadata: { resourceVersion: ks.metadata.resourceVersion, annotations: { [PAUSE_LEASE_ANNOTATION]: null } },
      });
      return true;
    },

    async dependencies() {
      const ks = await get();
      const own = sourceOf(ks);
      const out: EngineDependency[] = [];
      for (const d of ks.spec.dependsOn ?? []) {
        const namespace = d.namespace ?? ref.namespace;
        const dep = await read<Kustomization>({ ...KS, namespace, name: d.name }).catch(() => undefined);
        const src = dep ? sourceOf(dep) : undefined;
        const samePath =
          dep?.spec.path !== undefined && src?.name === own?.name && src?.namespace === own?.namespace
            ? normalizeFluxPath(dep.spec.path)
            : undefined;
        const migration = migrationWordIn(d.name)
          ? `its name ${d.name}`
          : samePath && migrationWordIn(samePath)
            ? `its path ${samePath}`
            : undefined;
        out.push({
          name: d.name,
          namespace,
          ...(samePath !== undefined ? { path: samePath } : {}),
          ...(migration ? { migration } : {}),
        });
      }
      return out;
    },

    async deployments() {
      const ks = await get();
      // Newest first. An entry is keyed by the digest of what was applied, and firstReconciled is
      // when that content was first applied: a revert that brings back older content carries the
      // older time. Readers must not date a commit by a record older than the commit.
      const records: EngineDeploymentRecord[] = (ks.status?.history ?? []).flatMap((h) => {
        const revision = shaOfRevision(h.metadata?.revision);
        return revision && h.firstReconciled
          ? [
              {
                revision,
                at: h.firstReconciled,
                healthy: h.lastReconciledStatus === 'ReconciliationSucceeded',
                source: 'flux status.history' as const,
              },
            ]
          : [];
      });
      const current = shaOfRevision(fluxAppliedRevision(ks.status));
      if (current) records.push({ revision: current, source: 'engine current revision' });
      return records;
    },

    async lastSync() {
      // The kustomize-controller reports each apply as a Normal "Progressing" event on the
      // Kustomization, one line per changed object: "ConfigMap/ns/name configured".
      const ks = await get();
      const list = await (await restFor(kc)).list<KubeEvent>(
        `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events`,
        { fieldSelector: `involvedObject.kind=Kustomization,involvedObject.name=${ref.name}` },
      );
      const applied = list
        .filter((e) => e.reason === 'Progressing' && /\b(configured|created|deleted)\b/.test(e.message ?? ''))
        .sort((a, b) =>
          String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')),
        )
        .at(-1);
      if (!applied) return undefined;
      const changed = (applied.message ?? '')
        .split('\n')
        .map((l) => /^(\w+)\/([^/\s]*)\/?([^\s]*)\s+(configured|created|deleted)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) =>
          m[3]
            ? { kind: m[1]!, namespace: m[2]!, name: m[3]!, message: m[0]! }
            : { kind: m[1]!, namespace: '', name: m[2]!, message: m[0]! },
        );
      const at = String(applied.lastTimestamp ?? applied.eventTime ?? '');
      return {
        revision: ks.status?.lastAttemptedRevision,
        ...(at ? { finishedAt: new Date(at).toISOString() } : {}),
        changed,
      };
    },

    fetchWatchPaths() {
      const name = ref.source;
      return name
        ? [
            {
              path: `/apis/${GITREPO.group}/${GITREPO.version}/namespaces/${ref.namespace}/${GITREPO.plural}`,
              fieldSelector: `metadata.name=${name}`,
            },
          ]
        : [
            {
              path: `/apis/${GITREPO.group}/${GITREPO.version}/namespaces/${ref.namespace}/${GITREPO.plural}`,
              fieldSelector: '',
            },
          ];
    },

    syncedAt(state, sha) {
      return shaOfRevision(state.syncedRevision) === sha;
    },

    watchPaths() {
      return [
        {
          path: `/apis/${KS.group}/${KS.version}/namespaces/${ref.namespace}/${KS.plural}`,
          fieldSelector: `metadata.name=${ref.name}`,
        },
      ];
    },

    async pauseAutoSync(lease: PauseLease) {
      const ks = await get();
      const held = parseLease(ks.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId === lease.runId) return held.policy ?? null;
      if (ks.spec.suspend) return null;
      const policy: AutoSyncPolicy = { engine: 'flux', suspend: false };
      await patch(id, {
        metadata: {
          resourceVersion: ks.metadata.resourceVersion,
          annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy }) },
        },
        spec: { suspend: true },
      });
      return policy;
    },

    async resumeAutoSync(policy: AutoSyncPolicy) {
      if (policy.engine !== 'flux') throw new Error('an Argo CD policy cannot resume a Flux Kustomization');
      await patch(id, { metadata: { annotations: { [PAUSE_LEASE_ANNOTATION]: null } }, spec: { suspend: false } });
    },

    async renewLease(lease: PauseLease) {
      const app = await get();
      const held = parseLease(app.metadata.annotations?.[PAUSE_LEASE_ANNOTATION]);
      if (held?.runId !== lease.runId) return false;
      await patch(id, {
        metadata: {
          resourceVersion: app.metadata.resourceVersion,
          annotations: { [PAUSE_LEASE_ANNOTATION]: JSON.stringify({ ...lease, policy: held.policy }) },
        },
      });
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
