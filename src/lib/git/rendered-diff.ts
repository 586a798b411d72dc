/**
 * Compares two renderings of one environment and sorts the differences by layer: container images,
 * configuration values, whole objects added or removed, and anything else. This is what makes
 * "roll back at the right layer" possible: an image revert does nothing for a regression in config.
 */
import type { ConfigChange, ImageChange } from '../../../workflows/types.js';
import { objectKey, type KubeObject } from '../gitops/render.js';

/** Stands in for Secret values, which never leave the repository through rewind. */
export const HIDDEN_VALUE = '(hidden)';

export interface RenderedDiff {
  images: ImageChange[];
  config: ConfigChange[];
  added: string[];
  removed: string[];
  otherChanged: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `id` is render.ts's objectKey (`group/Kind/namespace/name`), the same key drift reports use. */
interface Keyed {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  obj: Obj;
}

const keyed = (o: KubeObject): Keyed => ({
  id: objectKey(o),
  kind: o.kind,
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name,
  obj: o,
});

/** The pod template's spec for the workload kinds that carry one. */
export function podSpec(o: Obj): Obj | undefined {
  const spec = o.spec;
  if (!isObj(spec)) return undefined;
  switch (o.kind) {
    case 'Pod':
      return spec;
    case 'CronJob': {
      const job = spec.jobTemplate;
      const tpl = isObj(job) && isObj(job.spec) ? job.spec.template : undefined;
      return isObj(tpl) && isObj(tpl.spec) ? tpl.spec : undefined;
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job': {
      const tpl = spec.template;
      return isObj(tpl) && isObj(tpl.spec) ? tpl.spec : undefined;
    }
    default:
      return undefined;
  }
}

function containers(o: Obj): Map<string, string> {
  const out = new Map<string, string>();
  const pod = podSpec(o);
  if (!pod) return out;
  for (const field of ['initContainers', 'containers']) {
    const list = pod[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isObj(c) && str(c.name) !== undefined) out.set(c.name as string, str(c.image) ?? '');
  }
  return out;
}

/** Stable JSON: key order does not count as a change. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** The object minus what the image and config layers already report. */
function remainder(o: Obj, renames: ReadonlyMap<string, string>): unknown {
  const copy = structuredClone(o) as Obj;
  const pod = podSpec(copy);
  if (pod)
    for (const field of ['initContainers', 'containers']) {
      const list = pod[field];
      if (Array.isArray(list)) for (const c of list) if (isObj(c)) delete c.image;
    }
  if (copy.kind === 'ConfigMap') {
    delete copy.data;
    delete copy.binaryData;
  }
  if (copy.kind === 'Secret') {
    delete copy.data;
    delete copy.stringData;
  }
  return renames.size === 0 ? copy : rename(copy, renames);
}

/** Replaces renamed generator names wherever they are referenced (envFrom, volumes...). */
function rename(v: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (typeof v === 'string') return renames.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => rename(x, renames));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x, renames)]));
  return v;
}

function stringMap(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (isObj(v)) for (const [k, x] of Object.entries(v)) out.set(k, typeof x === 'string' ? x : canonical(x));
  return out;
}

function configChanges(id: string, before: Obj, after: Obj): ConfigChange[] {
  const out: ConfigChange[] = [];
  const compare = (a: Map<string, string>, b: Map<string, string>, hide: boolean, prefix = '') => {
    for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const from = a.get(key);
      const to = b.get(key);
      if (from === to) continue;
      const change: ConfigChange = { object: id, key: `${prefix}${key}` };
      if (from !== undefined) change.from = hide ? HIDDEN_VALUE : from;
      if (to !== undefined) change.to = hide ? HIDDEN_VALUE : to;
      out.push(change);
    }
  };
  if (after.kind === 'ConfigMap') {
    compare(stringMap(before.data), stringMap(after.data), false);
    compare(stringMap(before.binaryData), stringMap(after.binaryData), true, 'binaryData.');
  } else if (after.kind === 'Secret') {
    // Values are compared as written (base64 `data`, plain `stringData`) and only key names are reported.
    const merged = (o: Obj) =>
      new Map([...stringMap(o.data), ...[...stringMap(o.stringData)].map(([k, v]) => [k, `s:${v}`] as const)]);
    compare(merged(before), merged(after), true);
  }
  return out;
}

const GENERATED_SUFFIX = /^(.*)-[a-z0-9]{10}$/;

/**
 * ConfigMaps and Secrets made by kustomize generators get a content hash in their name, so a value
 * change shows up as remove + add. Pair them back up when the match is unambiguous.
 */
function pairGenerated(removed: Keyed[], added: Keyed[]): Array<[Keyed, Keyed]> {
  const base = (k: Keyed) => {
    const m = GENERATED_SUFFIX.exec(k.name);
    return m && (k.kind === 'ConfigMap' || k.kind === 'Secret')
      ? `${k.id.slice(0, k.id.length - k.name.length)}${m[1]}`
      : undefined;
  };
  const group = (list: Keyed[]) => {
    const g = new Map<string, Keyed[]>();
    for (const k of list) {
      const b = base(k);
      if (b) g.set(b, [...(g.get(b) ?? []), k]);
    }
    return g;
  };
  const r = group(removed);
  const a = group(added);
  const pairs: Array<[Keyed, Keyed]> = [];
  for (const [b, olds] of r) {
    const news = a.get(b);
    if (olds.length === 1 && news?.length === 1) pairs.push([olds[0] as Keyed, news[0] as Keyed]);
  }
  return pairs;
}

export function diffRendered(before: readonly KubeObject[], after: readonly KubeObject[]): RenderedDiff {
  const index = (list: readonly KubeObject[]) =>
    new Map(
      list.map((o) => {
        const k = keyed(o);
        return [k.id, k] as const;
      }),
    );
  const a = index(before);
  const b = index(after);
  let removed = [...a.values()].filter((k) => !b.has(k.id));
  let added = [...b.values()].filter((k) => !a.has(k.id));
  const pairs: Array<[Keyed, Keyed]> = [...a.values()].flatMap((k) => {
    const n = b.get(k.id);
    return n ? [[k, n] as [Keyed, Keyed]] : [];
  });
  const generated = pairGenerated(removed, added);
  const renames = new Map(generated.map(([o, n]) => [o.name, n.name]));
  pairs.push(...generated);
  removed = removed.filter((k) => !generated.some(([o]) => o === k));
  added = added.filter((k) => !generated.some(([, n]) => n === k));

  const images: ImageChange[] = [];
  const config: ConfigChange[] = [];
  const otherChanged: string[] = [];
  for (const [old, next] of pairs) {
    const was = containers(old.obj);
    for (const [container, to] of containers(next.obj)) {
      const from = was.get(container);
      if (from !== undefined && from !== to) images.push({ object: next.id, container, from, to });
    }
    config.push(...configChanges(next.id, old.obj, next.obj));
    if (canonical(remainder(old.obj, renames)) !== canonical(remainder(next.obj, new Map())))
      otherChanged.push(next.id);
  }
  const byObject = <T extends { object: string }>(x: T, y: T) => x.object.localeCompare(y.object);
  return {
    images: images.sort(byObject),
    config: config.sort(byObject),
    added: added.map((k) => k.id).sort(),
    removed: removed.map((k) => k.id).sort(),
    otherChanged: otherChanged.sort(),
  };
}
