/**
 * Who wrote a field, from `metadata.managedFields`. Each entry names a field manager (the
 * `fieldManager` of the write: `kubectl-edit`, `argocd-controller`, `kustomize-controller`, …), the
 * operation (`Update` or `Apply`), the time of its latest write and, in `fieldsV1`, the set of
 * fields it owns:
 *
 * ```json
 * { "manager": "kubectl-edit", "operation": "Update", "time": "2026-03-02T10:14:07Z",
 *   "fieldsType": "FieldsV1", "fieldsV1": { "f:data": { "f:DB_HOST": {} } } }
 * ```
 *
 * Map keys are `f:<name>`; list elements are `k:<json of the key fields>` (containers and env by
 * name), `v:<json value>` (sets) or `i:<index>`; `.` marks the map itself. An Update that changes a
 * field moves it to the updater's entry; appliers can co-own a field, hence "the newest entry
 * that covers the field" is the writer.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FieldWriter } from '../../workflows/watch/types.js';

export type FieldsV1 = { [key: string]: FieldsV1 };

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function managedFieldsOf(obj: unknown): ManagedFieldsEntry[] {
  const meta = isMap(obj) && isMap(obj.metadata) ? obj.metadata : undefined;
  return Array.isArray(meta?.managedFields) ? (meta.managedFields as ManagedFieldsEntry[]) : [];
}

/**
 * The node of `fields` at `segments` (list steps resolved against `obj`), or where the walk stopped:
 * `atomicAt` is the depth of a `{}` met before the end (a value owned whole, or a granular field
 * owned only as itself: the caller tells them apart).
 */
function walk(
  fields: FieldsV1 | undefined,
  obj: unknown,
  segments: readonly string[],
): { node?: FieldsV1; atomicAt?: number } {
  if (!fields || Object.keys(fields).length === 0) return {};
  let node: FieldsV1 = fields;
  let value: unknown = obj;
  for (const [depth, seg] of segments.entries()) {
    if (depth > 0 && Object.keys(node).length === 0) return { atomicAt: depth };
    let child: FieldsV1 | undefined;
    if (Array.isArray(value)) {
      const index = Number(seg);
      const element = value[index];
      child = node[`i:${index}`] ?? listElementKey(node, element);
      value = element;
    } else {
      child = node[`f:${seg}`];
      value = isMap(value) ? value[seg] : undefined;
    }
    if (!child) return {};
    node = child;
  }
  return { node };
}

/**
 * Whether `fields` (one entry's fieldsV1) owns the field at `segments` of `obj`, or a value above
 * it whole. `{}` below the root means "this field itself": for atomic values (lists without keys,
 * `x-kubernetes-map-type: atomic`) that is the whole value; see `covering` for granular maps.
 */
export function entryCovers(fields: FieldsV1 | undefined, obj: unknown, segments: readonly string[]): boolean {
  const w = walk(fields, obj, segments);
  return !!w.node || w.atomicAt !== undefined;
}

function listElementKey(node: FieldsV1, element: unknown): FieldsV1 | undefined {
  for (const [key, child] of Object.entries(node)) {
    if (key.startsWith('k:')) {
      const keyFields = parseJson(key.slice(2));
      if (
        isMap(keyFields) &&
        isMap(element) &&
        Object.entries(keyFields).every(([k, v]) => isDeepStrictEqual(element[k], v))
      )
        return child;
    } else if (key.startsWith('v:')) {
      const v = parseJson(key.slice(2));
      if (v !== undefined && isDeepStrictEqual(v, element)) return child;
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Newest entry by time; on a tie (times have second precision) the one `preferred` says. */
function newest(
  entries: ManagedFieldsEntry[],
  preferred: (e: ManagedFieldsEntry) => boolean = () => false,
): ManagedFieldsEntry | undefined {
  return entries.reduce<ManagedFieldsEntry | undefined>((best, e) => {
    if (!best) return e;
    const a = e.time ?? '',
      b = best.time ?? '';
    return a > b || (a === b && preferred(e) && !preferred(best)) ? e : best;
  }, undefined);
}

const writer = (e: ManagedFieldsEntry): FieldWriter => ({
  manager: e.manager ?? 'unknown',
  ...(e.operation ? { operation: e.operation } : {}),
  ...(e.time ? { time: e.time } : {}),
});

/**
 * The entries that own the field. An entry that owns only a map above it (`"f:data": {}`, as a
 * Secret's creator keeps after someone else wrote `data.password`) counts only when no entry owns
 * anything inside that map: a map others own keys of is granular, not an atomic value.
 */
function covering(obj: unknown, segments: readonly string[]): ManagedFieldsEntry[] {
  const entries = managedFieldsOf(obj).filter((m) => m.subresource !== 'status');
  return entries.filter((e) => {
    const w = walk(e.fieldsV1, obj, segments);
    if (w.node) return true;
    if (w.atomicAt === undefined) return false;
    const above = segments.slice(0, w.atomicAt);
    return !entries.some((o) => {
      const n = walk(o.fieldsV1, obj, above).node;
      return !!n && Object.keys(n).some((k) => k !== '.');
    });
  });
}

/** The entry of `obj` that owns the field, newest first; undefined when none does (e.g. a removed field). */
export function ownerOf(obj: unknown, segments: readonly string[]): FieldWriter | undefined {
  const e = newest(covering(obj, segments));
  return e ? writer(e) : undefined;
}

/**
 * Who changed the field at `segments` between `prev` and `next`: the newest entry of `next` that
 * owns it (on a tie, one this write created or touched); for a field nobody owns any more
 * (removed), the entries this write touched (their time or field set differs from `prev`),
 * newest first; else `unknown`.
 */
export function writerOf(next: unknown, segments: readonly string[], prev?: unknown): FieldWriter {
  const before = managedFieldsOf(prev);
  const same = (a: ManagedFieldsEntry, b: ManagedFieldsEntry) =>
    a.manager === b.manager && a.operation === b.operation && a.subresource === b.subresource;
  const touched = (e: ManagedFieldsEntry) =>
    !before.some((p) => same(p, e) && p.time === e.time && isDeepStrictEqual(p.fieldsV1, e.fieldsV1));
  const owner = newest(covering(next, segments), touched);
  if (owner) return writer(owner);
  const e = newest(managedFieldsOf(next).filter((m) => m.subresource !== 'status' && touched(m)));
  return e ? writer(e) : { manager: 'unknown' };
}
