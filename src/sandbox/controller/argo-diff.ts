/**
 * The stand-in Argo CD's comparison of one desired object with its live counterpart, written
 * apart from rewind's drift code (src/lib/gitops/diff.ts) on purpose: the stand-in grades rewind, so
 * it must not share rewind's assumptions.
 *
 * Only what Git sets is compared: every field of the desired object (except `status`) must be
 * present and equal live. That one rule gives Argo CD's normalizations the seeded apps need for
 * free: the last-applied and tracking annotations, `status`, `managedFields` and server defaults
 * (a Service's `clusterIP`, a container's `terminationMessagePath`) are live-only, so never a
 * difference. Like Argo's three-way diff, an item added live to a list Git sets (an env var, a
 * port) is not a difference either: lists of objects with a `name` are matched by name and extra
 * live items are ignored; other lists must match item by item.
 *
 * `spec.ignoreDifferences` is honoured for `jsonPointers` (matched by group, kind, and when given
 * name and namespace); `jqPathExpressions` and `managedFieldsManagers` are not. Quantities are
 * compared as written (the seeded apps use canonical ones such as `100m` and `128Mi`).
 */
import { groupOf, type KubeObject } from '../../lib/gitops/render.js';

/** Argo CD `spec.ignoreDifferences[]` entry. */
export interface IgnoreRule {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON pointers (into the desired object) where live differs from what Git sets; empty when in sync. */
export function desiredDifferences(
  desired: KubeObject,
  live: KubeObject,
  ignore: readonly IgnoreRule[] = [],
): string[] {
  const want = structuredClone(desired) as unknown as { [k: string]: Json };
  delete want['status'];
  for (const pointer of ignoredPointers(desired, ignore)) removePointer(want, pointer);
  const out: string[] = [];
  subset(want, live as unknown as Json, '', out);
  return out;
}

function ignoredPointers(o: KubeObject, rules: readonly IgnoreRule[]): string[] {
  return rules
    .filter(
      (r) =>
        r.kind === o.kind &&
        (r.group ?? '') === groupOf(o.apiVersion) &&
        (!r.name || r.name === o.metadata.name) &&
        (!r.namespace || r.namespace === o.metadata.namespace),
    )
    .flatMap((r) => r.jsonPointers ?? []);
}

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function removePointer(root: { [k: string]: Json }, pointer: string): void {
  const parts = pointer.split('/').slice(1).map(unescape);
  let cur: Json = root;
  for (const [i, p] of parts.entries()) {
    if (cur === null || typeof cur !== 'object') return;
    const last = i === parts.length - 1;
    if (Array.isArray(cur)) {
      const idx = Number(p);
      if (!Number.isInteger(idx) || idx >= cur.length) return;
      if (last) {
        cur.splice(idx, 1);
        return;
      }
      cur = cur[idx]!;
    } else {
      if (!(p in cur)) return;
      if (last) {
        delete cur[p];
        return;
      }
      cur = cur[p]!;
    }
  }
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const named = (v: Json[]) => v.length > 0 && v.every((x) => isObject(x) && typeof x['name'] === 'string');

/** Appends to `out` the pointers where `live` lacks or differs from a field `want` sets. */
function subset(want: Json, live: Json | undefined, at: string, out: string[]): void {
  if (isObject(want)) {
    if (!isObject(live)) {
      out.push(at);
      return;
    }
    for (const [k, v] of Object.entries(want)) subset(v, live[k], `${at}/${escape(k)}`, out);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(live)) {
      if (want.length > 0) out.push(at);
      return;
    }
    if (named(want)) {
      for (const item of want as Array<{ [k: string]: Json }>) {
        const idx = live.findIndex((l) => isObject(l) && l['name'] === item['name']);
        if (idx < 0) out.push(`${at}/-`);
        else subset(item, live[idx], `${at}/${idx}`, out);
      }
      return;
    }
    if (want.length !== live.length) {
      out.push(at);
      return;
    }
    want.forEach((w, i) => subset(w, live[i], `${at}/${i}`, out));
    return;
  }
  if (want === null) return; // a null in a manifest means "unset": nothing to compare
  if (want !== live) out.push(at);
}
