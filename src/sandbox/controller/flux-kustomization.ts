/**
 * Flux kustomize-controller for Kustomization, stood in. Reconciles every `spec.interval` (after a
 * failure every `retryInterval`), at once on a new `reconcile.fluxcd.io/requestedAt`, a spec
 * change, a resume or a new source artifact; never while `spec.suspend`. A reconcile always
 * server-side applies (so it corrects drift), prunes stale inventory entries that carry its
 * labels when `prune`, and with `wait` holds Ready Unknown until the applied workloads are
 * healthy, or sets Ready False `HealthCheckFailed` after `spec.timeout`.
 */
import { groupOf, type KubeObject } from '../../gitops/render.js';
import { FLUX_NAME_LABEL, FLUX_NAMESPACE_LABEL, FLUX_REQUESTED_AT, fluxInventoryId, parseFluxInventoryId } from '../../gitops/tracking.js';
import { applyObjects, deleteObject, versionOf } from './apply.js';
import { formatGoDuration, parseGoDuration } from './durations.js';
import { GIT_REPOSITORIES, KUSTOMIZATIONS, setCondition, removeCondition, shaOfRevision, type FluxCondition, type GitRepository, type Kustomization } from './flux-types.js';
import { workloadStatus } from './kstatus.js';
import type { Runtime } from './runtime.js';

export const FLUX_FIELD_MANAGER = 'kustomize-controller';

interface Waiting { revision: string; since: number; objects: KubeObject[]; inventory: Array<{ id: string; v: string }> }
interface KsMemory { at: number; generation: number; request?: string; artifact?: string; suspended: boolean; failed: boolean; waiting?: Waiting }

type StatusPatch = Record<string, unknown> & { conditions?: FluxCondition[] };

export class FluxKustomizationController {
  private readonly memory = new Map<string, KsMemory>();

  async tick(rt: Runtime): Promise<void> {
    const list = await rt.rest.list<Kustomization>(KUSTOMIZATIONS(rt.settings.fluxNamespace));
    const seen = new Set<string>();
    for (const ks of list) {
      const key = ks.metadata.uid as string;
      seen.add(key);
      try { await this.reconcile(rt, ks, key); } catch (err) { rt.logError(err, { kustomization: ks.metadata.name }, 'kustomization reconcile failed'); }
    }
    for (const k of this.memory.keys()) if (!seen.has(k)) this.memory.delete(k);
  }

  private async reconcile(rt: Runtime, ks: Kustomization, key: string): Promise<void> {
    const mem = this.memory.get(key);
    if (ks.spec.suspend) { if (mem) mem.suspended = true; else this.memory.set(key, { at: 0, generation: -1, suspended: true, failed: false }); return; }
    const now = rt.now();
    const source = await this.source(rt, ks);
    const artifact = source?.status?.artifact?.revision;
    const requested = ks.metadata.annotations?.[FLUX_REQUESTED_AT];
    const newRequest = requested !== undefined && requested !== ks.status?.lastHandledReconcileAt && requested !== mem?.request;
    const changed = !mem || mem.suspended || mem.generation !== ks.metadata.generation || newRequest || artifact !== mem.artifact;
    if (mem?.waiting && !changed) { await this.checkHealth(rt, ks, mem, mem.waiting, now); return; }
    const every = (mem?.failed ? parseGoDuration(ks.spec.retryInterval ?? '') : undefined) ?? parseGoDuration(ks.spec.interval) ?? 600_000;
    if (!changed && now - mem!.at < every) return;
    const next: KsMemory = { at: now, generation: ks.metadata.generation as number, suspended: false, failed: false, ...(requested !== undefined ? { request: requested } : {}), ...(artifact ? { artifact } : {}) };
    this.memory.set(key, next);
    await this.apply(rt, ks, next, source);
  }

  private async source(rt: Runtime, ks: Kustomization): Promise<GitRepository | undefined> {
    if (ks.spec.sourceRef.kind !== 'GitRepository') return undefined;
    const ns = ks.spec.sourceRef.namespace ?? ks.metadata.namespace ?? rt.settings.fluxNamespace;
    return rt.rest.get<GitRepository>(`${GIT_REPOSITORIES(ns)}/${encodeURIComponent(ks.spec.sourceRef.name)}`);
  }

  private async apply(rt: Runtime, ks: Kustomization, mem: KsMemory, source: GitRepository | undefined): Promise<void> {
    const stamp = rt.timestamp(), gen = ks.metadata.generation as number;
    let conds = ks.status?.conditions ?? [];
    const revision = source?.status?.artifact?.revision;
    const sha = shaOfRevision(revision);
    const fail = async (reason: string, message: string, extra: StatusPatch = {}) => {
      mem.failed = true;
      conds = setCondition(conds, { type: 'Ready', status: 'False', reason, message, observedGeneration: gen }, stamp);
      conds = setCondition(conds, { type: 'Reconciling', status: 'True', reason: 'ProgressingWithRetry', message, observedGeneration: gen }, stamp);
      await this.patch(rt, ks, { ...extra, conditions: conds, ...this.handled(mem) });
      rt.log.warn({ kustomization: ks.metadata.name, reason, message }, 'kustomization not ready');
    };
    if (ks.spec.sourceRef.kind !== 'GitRepository') return fail('ArtifactFailed', `source kind ${ks.spec.sourceRef.kind} is not supported by the sandbox controller`);
    if (!source || !revision || !sha) return fail('ArtifactFailed', `Source artifact not found, retrying in ${ks.spec.retryInterval ?? ks.spec.interval}`);
    let objects: KubeObject[];
    try {
      objects = (await rt.render(source.spec.url, sha, ks.spec.path ?? './')).objects;
      await rt.defaultNamespace(objects, ks.spec.targetNamespace, true);
    } catch (err) {
      return fail('BuildFailed', (err as Error).message, { lastAttemptedRevision: revision });
    }
    const owner = { [FLUX_NAME_LABEL]: ks.metadata.name, [FLUX_NAMESPACE_LABEL]: ks.metadata.namespace ?? rt.settings.fluxNamespace };
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...owner };
    const results = await applyObjects(rt, objects, FLUX_FIELD_MANAGER);
    const failed = results.filter((r) => r.action === 'failed');
    if (failed.length > 0) return fail('ReconciliationFailed', failed.map((r) => r.message).join('\n'), { lastAttemptedRevision: revision });
    const inventory = objects.map((o) => ({ id: fluxInventoryId({ namespace: o.metadata.namespace ?? '', name: o.metadata.name, group: groupOf(o.apiVersion), kind: o.kind }), v: versionOf(o.apiVersion) }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (ks.spec.prune) await this.prune(rt, ks, ks.status?.inventory?.entries ?? [], inventory, owner);
    if (!ks.spec.wait) return this.succeed(rt, ks, mem, revision, inventory, undefined);
    const message = `Running health checks for revision ${revision} with a timeout of ${formatGoDuration(this.timeout(ks))}`;
    conds = setCondition(conds, { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'Reconciliation in progress', observedGeneration: gen }, stamp);
    conds = setCondition(conds, { type: 'Reconciling', status: 'True', reason: 'Progressing', message, observedGeneration: gen }, stamp);
    conds = setCondition(conds, { type: 'Healthy', status: 'Unknown', reason: 'Progressing', message, observedGeneration: gen }, stamp);
    mem.waiting = { revision, since: rt.now(), objects, inventory };
    await this.patch(rt, ks, { lastAttemptedRevision: revision, inventory: { entries: inventory }, conditions: conds });
  }

  /** Deletes objects of the previous inventory that the new one lacks, when they still carry this Kustomization's labels. */
  private async prune(rt: Runtime, ks: Kustomization, old: Array<{ id: string; v: string }>, now: Array<{ id: string; v: string }>, owner: Record<string, string>): Promise<void> {
    const keep = new Set(now.map((e) => e.id));
    for (const e of old) {
      const ref = keep.has(e.id) ? undefined : parseFluxInventoryId(e.id);
      if (!ref) continue;
      const apiVersion = ref.group ? `${ref.group}/${e.v}` : e.v;
      const live = await rt.snapshot.find({ apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } }).catch(() => undefined);
      if (!live || Object.entries(owner).some(([k, v]) => live.metadata.labels?.[k] !== v)) continue;
      await deleteObject(rt, live);
      rt.log.info({ kustomization: ks.metadata.name, id: e.id }, 'garbage collected');
    }
  }

  private async checkHealth(rt: Runtime, ks: Kustomization, mem: KsMemory, w: Waiting, now: number): Promise<void> {
    const pending: string[] = [];
    for (const o of w.objects) {
      const state = workloadStatus(o, await rt.snapshot.find(o).catch(() => undefined));
      if (state !== 'Current') pending.push(`${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} status: '${state}'`);
    }
    if (pending.length === 0) { mem.waiting = undefined; return this.succeed(rt, ks, mem, w.revision, w.inventory, now - w.since); }
    if (now - w.since < this.timeout(ks)) return;
    mem.waiting = undefined;
    mem.failed = true;
    const stamp = rt.timestamp(now), gen = ks.metadata.generation as number;
    const why = `timeout waiting for: [${pending.join(', ')}]`;
    const message = `health check failed after ${formatGoDuration(now - w.since)}: ${why}`;
    let conds = setCondition(ks.status?.conditions ?? [], { type: 'Ready', status: 'False', reason: 'HealthCheckFailed', message, observedGeneration: gen }, stamp);
    conds = setCondition(conds, { type: 'Healthy', status: 'False', reason: 'HealthCheckFailed', message: why, observedGeneration: gen }, stamp);
    conds = setCondition(conds, { type: 'Reconciling', status: 'True', reason: 'ProgressingWithRetry', message, observedGeneration: gen }, stamp);
    await this.patch(rt, ks, { conditions: conds, ...this.handled(mem) });
    rt.log.warn({ kustomization: ks.metadata.name, message }, 'health check failed');
  }

  private async succeed(rt: Runtime, ks: Kustomization, mem: KsMemory, revision: string, inventory: Array<{ id: string; v: string }>, healthMs: number | undefined): Promise<void> {
    const stamp = rt.timestamp(), gen = ks.metadata.generation as number;
    let conds = removeCondition(ks.status?.conditions ?? [], 'Reconciling');
    conds = setCondition(conds, { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${revision}`, observedGeneration: gen }, stamp);
    conds = healthMs === undefined ? removeCondition(conds, 'Healthy')
      : setCondition(conds, { type: 'Healthy', status: 'True', reason: 'Succeeded', message: `Health check passed in ${formatGoDuration(healthMs)}`, observedGeneration: gen }, stamp);
    await this.patch(rt, ks, {
      lastAppliedRevision: revision, lastAttemptedRevision: revision, observedGeneration: gen,
      inventory: { entries: inventory }, conditions: conds, ...this.handled(mem),
    });
  }

  private handled(mem: KsMemory): StatusPatch { return mem.request !== undefined ? { lastHandledReconcileAt: mem.request } : {}; }

  private timeout(ks: Kustomization): number {
    return parseGoDuration(ks.spec.timeout ?? '') ?? parseGoDuration(ks.spec.interval) ?? 300_000;
  }

  private async patch(rt: Runtime, ks: Kustomization, status: StatusPatch): Promise<void> {
    await rt.rest.mergePatch(`${KUSTOMIZATIONS(ks.metadata.namespace ?? rt.settings.fluxNamespace)}/${encodeURIComponent(ks.metadata.name)}/status`, { status });
  }
}
