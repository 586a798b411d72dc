/**
 * One Argo CD comparison: render the app at a revision, find its live objects (by key, plus
 * tracked objects Git no longer has), compare them (argo-diff.ts), and derive `status.resources`,
 * the app's sync status and its health (health.ts) the way Argo CD's app controller does.
 */
import { groupOf, objectKey, type KubeObject, type SourceType } from '../../lib/gitops/render.js';
import { ARGO_TRACKING_ID, parseArgoTrackingId } from '../../lib/gitops/tracking.js';
import { versionOf } from './apply.js';
import { desiredDifferences } from './argo-diff.js';
import type { Application, ResourceStatus } from './argo-types.js';
import { isWorse, objectHealth, type HealthStatus } from './health.js';
import type { Runtime } from './runtime.js';

/**
 * One object of the app: in Git and live (synced or modified), only in Git (missing) or only live
 * (extra, needs pruning).
 */
export interface ComparedObject {
  key: string;
  state: 'synced' | 'modified' | 'missing' | 'extra';
  desired?: KubeObject;
  live?: KubeObject;
  /** JSON pointers where live differs from Git. */
  differences: string[];
}

export interface ArgoComparison {
  sha: string;
  sourceType: SourceType;
  desired: KubeObject[];
  /** Desired order, then extras. */
  objects: ComparedObject[];
  missing: ComparedObject[];
  modified: ComparedObject[];
  extra: ComparedObject[];
  resources: ResourceStatus[];
  sync: 'Synced' | 'OutOfSync';
  health: { status: HealthStatus; message: string };
}

/** Desired objects of `app` at `sha`, namespaced to the destination like Argo does. */
export async function desiredObjects(
  rt: Runtime,
  app: Application,
  sha: string,
): Promise<{ objects: KubeObject[]; sourceType: SourceType }> {
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
      if (
        ref?.app === appName &&
        ref.kind === o.kind &&
        ref.name === o.metadata.name &&
        ref.namespace === (o.metadata.namespace ?? '')
      )
        out.push(o);
    }
  }
  return out;
}

/** `group/Kind:namespace/name`, as Argo CD names the resource behind an app's health. */
const causeOf = (o: KubeObject) =>
  `${groupOf(o.apiVersion)}/${o.kind}:${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export async function compareArgoApp(rt: Runtime, app: Application, sha: string): Promise<ArgoComparison> {
  const { objects: desired, sourceType } = await desiredObjects(rt, app, sha);
  const kinds = new Map<string, [string, string]>();
  for (const o of desired) kinds.set(`${groupOf(o.apiVersion)}/${o.kind}`, [o.apiVersion, o.kind]);
  for (const r of app.status?.resources ?? [])
    kinds.set(`${r.group ?? ''}/${r.kind}`, [r.group ? `${r.group}/${r.version}` : r.version, r.kind]);
  const live = new Map<string, KubeObject>();
  for (const d of desired) {
    const l = await rt.snapshot.find(d).catch(() => undefined);
    if (l) live.set(objectKey(l), l);
  }
  for (const l of await trackedLive(rt, app.metadata.name, kinds.values())) live.set(objectKey(l), l);

  const ignore = app.spec.ignoreDifferences ?? [];
  const objects: ComparedObject[] = desired.map((d) => {
    const key = objectKey(d),
      l = live.get(key);
    if (!l) return { key, state: 'missing', desired: d, differences: [] };
    const differences = desiredDifferences(d, l, ignore);
    return { key, state: differences.length > 0 ? 'modified' : 'synced', desired: d, live: l, differences };
  });
  const wanted = new Set(objects.map((o) => o.key));
  for (const [key, l] of live) if (!wanted.has(key)) objects.push({ key, state: 'extra', live: l, differences: [] });

  let health: HealthStatus = 'Healthy',
    cause: KubeObject | undefined;
  const resources: ResourceStatus[] = objects.map((c) => {
    const o = (c.live ?? c.desired)!;
    const h = c.live ? objectHealth(c.live)?.status : 'Missing';
    if (h && isWorse(health, h)) {
      health = h;
      cause = c.live;
    }
    const group = groupOf(o.apiVersion);
    return {
      ...(group ? { group } : {}),
      version: versionOf(o.apiVersion),
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name,
      status: c.state === 'synced' ? 'Synced' : 'OutOfSync',
      ...(c.state === 'extra' ? { requiresPruning: true } : {}),
    };
  });
  const missing = objects.filter((c) => c.state === 'missing'),
    modified = objects.filter((c) => c.state === 'modified'),
    extra = objects.filter((c) => c.state === 'extra');
  return {
    sha,
    sourceType,
    desired,
    objects,
    missing,
    modified,
    extra,
    resources,
    sync: missing.length + modified.length + extra.length === 0 ? 'Synced' : 'OutOfSync',
    health: { status: health, message: health !== 'Healthy' && cause ? `Caused by ${causeOf(cause)}` : '' },
  };
}

/** Container images of a workload (pod template), for `syncResult.resources[].images`. */
export function imagesOf(o: KubeObject): string[] | undefined {
  const spec = o['spec'] as
    | { template?: { spec?: { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> } } }
    | undefined;
  const pod = spec?.template?.spec;
  if (!pod) return undefined;
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c) => c.image).filter((i): i is string => !!i);
}
