/**
 * Desired-vs-live comparison, as Argo CD reports drift. Pure: no API calls, no clocks.
 *
 * Desired is compared as a subset of live: every field Git sets must match live; fields only
 * live has (apiserver defaults such as `strategy`, `protocol`, `terminationMessagePath`) are not
 * drift. `status`, server-populated metadata and controller annotations/labels are dropped first,
 * then `spec.ignoreDifferences` pointers are removed from both sides, as Argo's normalizer does.
 *
 * Two deliberate strictnesses beyond Argo's three-way diff, because rewind must notice an emergency
 * patch that Git does not hold yet: lists keyed by `name` (containers, env, ports, volumes…)
 * report live items Git lacks, and ConfigMap/Secret `data`/`binaryData`/`stringData` report extra
 * live keys. The rollback and emergency runbooks build their drift report from these functions.
 */
import { groupOf, objectKey, type KubeObject } from './render.js';
import { pointerSegments } from './patch-paths.js';
import { ARGO_INSTANCE_LABEL, CONTROLLER_ANNOTATIONS, CONTROLLER_LABELS } from './tracking.js';

/** One difference; `path` is a JSON pointer (array indexes address the live array when the item exists live). */
export interface DiffEntry {
  path: string;
  desired: unknown;
  live: unknown;
}

/**
 * Argo CD `spec.ignoreDifferences[]`; only `jsonPointers` are applied (`jqPathExpressions`,
 * `managedFieldsManagers` are not).
 */
export interface IgnoreDifference {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

export interface DiffOptions {
  ignoreDifferences?: readonly IgnoreDifference[];
}

export type ResourceState = 'synced' | 'modified' | 'missing' | 'extra';

export interface ResourceComparison {
  key: string;
  state: ResourceState;
  desired?: KubeObject;
  live?: KubeObject;
  diffs: DiffEntry[];
}

export interface AppComparison {
  /** In desired order, then extras in live order. */
  resources: ResourceComparison[];
  missing: ResourceComparison[];
  extra: ResourceComparison[];
  modified: ResourceComparison[];
  /** True when nothing is missing, extra or modified. */
  synced: boolean;
}

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];
const DROPPED_LABELS = [...CONTROLLER_LABELS, ARGO_INSTANCE_LABEL];
const EXACT_MAPS = /^\/(data|binaryData|stringData)$/;
const QUANTITY_PATH = /\/(resources\/(limits|requests)|hard|capacity)\//;

/** Differences between one desired object and its live counterpart. */
export function diffObject(desired: KubeObject, live: KubeObject, opts: DiffOptions = {}): DiffEntry[] {
  const d = normalize(desired, opts),
    l = normalize(live, opts);
  const exactMaps = desired.kind === 'ConfigMap' || desired.kind === 'Secret';
  const out: DiffEntry[] = [];
  compare(d, l, '', exactMaps, out);
  return out;
}

/** Classifies every object of an app: `live` is every live object that belongs to it (found by key or by tracking). */
export function compareApp(
  desired: readonly KubeObject[],
  live: readonly KubeObject[],
  opts: DiffOptions = {},
): AppComparison {
  const liveByKey = new Map(live.map((o) => [objectKey(o), o]));
  const resources: ResourceComparison[] = desired.map((d) => {
    const key = objectKey(d),
      l = liveByKey.get(key);
    if (!l) return { key, state: 'missing', desired: d, diffs: [] };
    const diffs = diffObject(d, l, opts);
    return { key, state: diffs.length > 0 ? 'modified' : 'synced', desired: d, live: l, diffs };
  });
  const wanted = new Set(resources.map((r) => r.key));
  for (const l of live) {
    const key = objectKey(l);
    if (!wanted.has(key)) resources.push({ key, state: 'extra', live: l, diffs: [] });
  }
  const by = (s: ResourceState) => resources.filter((r) => r.state === s);
  const [missing, extra, modified] = [by('missing'), by('extra'), by('modified')];
  return { resources, missing, extra, modified, synced: missing.length + extra.length + modified.length === 0 };
}

/** Whether an ignore rule names this object (group `''` is the core group, as in Argo). */
export function ignoreRuleMatches(rule: IgnoreDifference, o: KubeObject): boolean {
  return (
    (rule.group ?? '') === groupOf(o.apiVersion) &&
    rule.kind === o.kind &&
    (rule.name === undefined || rule.name === o.metadata.name) &&
    (rule.namespace === undefined || rule.namespace === (o.metadata.namespace ?? ''))
  );
}

function normalize(o: KubeObject, opts: DiffOptions): Record<string, unknown> {
  const copy = structuredClone(o) as Record<string, unknown> & KubeObject;
  delete copy['status'];
  const meta = copy.metadata as Record<string, unknown>;
  for (const f of SERVER_METADATA) delete meta[f];
  for (const [field, drop] of [
    ['annotations', CONTROLLER_ANNOTATIONS],
    ['labels', DROPPED_LABELS],
  ] as const) {
    const m = meta[field] as Record<string, string> | undefined;
    if (!m) continue;
    for (const k of drop) delete m[k];
    if (Object.keys(m).length === 0) delete meta[field];
  }
  for (const rule of opts.ignoreDifferences ?? []) {
    if (!ignoreRuleMatches(rule, o)) continue;
    for (const p of rule.jsonPointers ?? []) removePointer(copy, p);
  }
  return copy;
}

/** Removes the value a JSON pointer addresses, if it exists. */
export function removePointer(root: unknown, pointer: string): void {
  const parts = pointerSegments(pointer);
  let cur: unknown = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (cur === null || typeof cur !== 'object') return;
    const last = i === parts.length - 1;
    if (Array.isArray(cur)) {
      const idx = Number(part);
      if (!Number.isInteger(idx) || idx < 0 || idx >= cur.length) return;
      if (last) cur.splice(idx, 1);
      else cur = cur[idx];
    } else {
      const rec = cur as Record<string, unknown>;
      if (!(part in rec)) return;
      if (last) delete rec[part];
      else cur = rec[part];
    }
  }
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function compare(d: unknown, l: unknown, path: string, exactMaps: boolean, out: DiffEntry[]): void {
  if (d === undefined) return;
  if (Array.isArray(d)) {
    if (!Array.isArray(l)) {
      if (d.length > 0 || l != null) out.push({ path, desired: d, live: l });
      return;
    }
    compareArrays(d, l, path, exactMaps, out);
    return;
  }
  if (isMap(d)) {
    if (!isMap(l)) {
      // An empty desired map is the same as an absent field once the apiserver has dropped it.
      if (Object.keys(d).length > 0 || l !== undefined) out.push({ path, desired: d, live: l });
      return;
    }
    for (const [k, v] of Object.entries(d)) compare(v, l[k], `${path}/${esc(k)}`, exactMaps, out);
    if (exactMaps && EXACT_MAPS.test(path)) {
      for (const k of Object.keys(l))
        if (!(k in d)) out.push({ path: `${path}/${esc(k)}`, desired: undefined, live: l[k] });
    }
    return;
  }
  if (!scalarEqual(d, l, path)) out.push({ path, desired: d, live: l });
}

function compareArrays(d: unknown[], l: unknown[], path: string, exactMaps: boolean, out: DiffEntry[]): void {
  const dNames = names(d),
    lNames = names(l);
  if (dNames && lNames) {
    const liveIndex = new Map(lNames.map((n, i) => [n, i]));
    dNames.forEach((n, i) => {
      const j = liveIndex.get(n);
      if (j === undefined) out.push({ path: `${path}/${i}`, desired: d[i], live: undefined });
      else compare(d[i], l[j], `${path}/${j}`, exactMaps, out);
    });
    const wanted = new Set(dNames);
    lNames.forEach((n, j) => {
      if (!wanted.has(n)) out.push({ path: `${path}/${j}`, desired: undefined, live: l[j] });
    });
    return;
  }
  if (d.length !== l.length) {
    out.push({ path, desired: d, live: l });
    return;
  }
  d.forEach((item, i) => compare(item, l[i], `${path}/${i}`, exactMaps, out));
}

/** The `name` of every item when all items are maps with distinct string names; else undefined (compare by index). */
function names(items: unknown[]): string[] | undefined {
  if (items.length === 0) return [];
  const out: string[] = [];
  for (const it of items) {
    if (!isMap(it) || typeof it['name'] !== 'string') return undefined;
    out.push(it['name']);
  }
  return new Set(out).size === out.length ? out : undefined;
}

function scalarEqual(d: unknown, l: unknown, path: string): boolean {
  if (d === l || (d === null && l === undefined)) return true;
  // The apiserver canonicalises resource quantities (`1000m` → `1`, `1024Mi` → `1Gi`).
  if (QUANTITY_PATH.test(`${path}/`) && (typeof d === 'string' || typeof d === 'number') && typeof l === 'string') {
    const a = parseQuantity(String(d)),
      b = parseQuantity(l);
    return a !== undefined && a === b;
  }
  return false;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number, rounded to avoid float noise; undefined when it is not one. */
export function parseQuantity(q: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return undefined;
  const mult = SUFFIX[m[3] ?? ''];
  if (mult === undefined) return undefined;
  return Number((Number(m[1]) * 10 ** Number(m[2] ?? 0) * mult).toPrecision(12));
}
