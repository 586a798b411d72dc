/**
 * One Argo CD comparison: render the app at a revision, find its live objects (by key, plus
 * tracked objects Git no longer has), diff them, and derive `status.resources`, the app's
 * sync status and its health the way Argo CD's app controller does.
 */
import { compareApp, type AppComparison } from '../../gitops/diff.js';
import { groupOf, objectKey, type KubeObject, type SourceType } from '../../gitops/render.js';
import { ARGO_TRACKING_ID, parseArgoTrackingId } from '../../gitops/tracking.js';
import { assessObject } from '../../health/assess.js';
import { isWorse, type HealthCode } from '../../health/types.js';
import { versionOf } from './apply.js';
import type { Application, ResourceStatus } from './argo-types.js';
import type { Runtime } from './runtime.js';

export interface ArgoComparison {
  sha: string;
  sourceType: SourceType;
  desired: KubeObject[];
  comparison: AppComparison;
  resources: ResourceStatus[];
  sync: 'Synced' | 'OutOfSync';
  health: { status: HealthCode; message: string };
  images: string[];
}

/** Desired objects of `app` at `sha`, namespaced to the destination like Argo does. */
export async function desiredObjects(rt: Runtime, app: Application, sha: string): Promise<{ objects: KubeObject[]; sourceType: SourceType }> {
  const src = app.spec.source;
  if (!src?.repoURL) throw new Error('spec.source.repoURL is required');
  const { objects, sourceType } = await rt.render(src.repoURL, sha, src.path ?? '.');
  await rt.defaultNamespace(objects, app.spec.destination?.namespace);
  return { objects, sourceType };
}

/** Live objects tracked to this app (annotation tracking) of the given kinds, whose tracking id names them. */
async function trackedLive(rt: Runtime, appName: string, kinds: Iterable<[string, string]>): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const [apiVersion, kind] of kinds) {
    const items = await rt.snapshot.list(apiVersion, kind).catch(() => [] as KubeObject[]);
    for (const o of items) {
      const id = o.metadata.annotations?.[ARGO_TRACKING_ID];
      const ref = id ? parseArgoTrackingId(id) : undefined;
      // A copied object keeps someone else's id; only an id naming this very object counts (as in Argo).
      if (ref?.app === appName && ref.kind === o.kind && ref.name === o.metadata.name && ref.namespace === (o.metadata.namespace ?? '')) out.push(o);
    }
  }
  return out;
}

export async function compareArgoApp(rt: Runtime, app: Application, sha: string): Promise<ArgoComparison> {
  const { objects: desired, sourceType } = await desiredObjects(rt, app, sha);
  const kinds = new Map<string, [string, string]>();
  for (const o of desired) kinds.set(`${groupOf(o.apiVersion)}/${o.kind}`, [o.apiVersion, o.kind]);
  for (const r of app.status?.resources ?? []) kinds.set(`${r.group}/${r.kind}`, [r.group ? `${r.group}/${r.version}` : r.version, r.kind]);
  const live = new Map<string, KubeObject>();
  for (const d of desired) { const l = await rt.snapshot.find(d).catch(() => undefined); if (l) live.set(objectKey(l), l); }
  for (const l of await trackedLive(rt, app.metadata.name, kinds.values())) live.set(objectKey(l), l);
  const comparison = compareApp(desired, [...live.values()], { ignoreDifferences: app.spec.ignoreDifferences ?? [] });

  let health: HealthCode = 'Healthy', healthMessage = '';
  const resources: ResourceStatus[] = comparison.resources.map((r) => {
    const o = (r.live ?? r.desired)!;
    const ownHealth = assessObject(r.live ?? o);
    const h = r.live ? ownHealth : { code: 'Missing' as const, message: '' };
    // A missing object without its own health check (a ConfigMap) does not make the app Missing.
    if (h && (r.live || ownHealth) && isWorse(health, h.code)) { health = h.code; healthMessage = h.message; }
    return {
      group: groupOf(o.apiVersion), version: versionOf(o.apiVersion), kind: o.kind,
      namespace: o.metadata.namespace ?? '', name: o.metadata.name,
      status: r.state === 'synced' ? 'Synced' : 'OutOfSync',
      ...(h ? { health: { status: h.code, ...(h.message ? { message: h.message } : {}) } } : {}),
      ...(r.state === 'extra' ? { requiresPruning: true } : {}),
    };
  });
  const images = new Set<string>();
  for (const l of live.values()) for (const c of containersOf(l)) if (c.image) images.add(c.image);
  return { sha, sourceType, desired, comparison, resources, sync: comparison.synced ? 'Synced' : 'OutOfSync', health: { status: health, message: healthMessage }, images: [...images].sort() };
}

function containersOf(o: KubeObject): Array<{ image?: string }> {
  const spec = (o['spec'] as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined);
  return spec?.template?.spec?.containers ?? [];
}
