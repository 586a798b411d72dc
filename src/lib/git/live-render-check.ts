/**
 * Does Git render the patched live state? Compared field by field on the fields the patches set,
 * with strict equality, as the workflow's resume gate (`gitMatchesLive`) compares. A looser rule
 * here (diffObject's quantity normalization, its subset semantics for maps) could pass a plan that
 * the gate then never passes, leaving auto-sync paused for good; the edits write the live
 * (server-normalized) value, so strict equality is reachable.
 *
 * List items are found by `name` on each side separately: Git and live may list containers or env
 * entries in different orders, so an index taken from live does not address the same item in Git.
 */
import { isDeepStrictEqual } from 'node:util';
import type { LiveChange } from '../../../workflows/types.js';
import { groupOf, objectKey, type KubeObject } from '../gitops/render.js';
import { escapePointer, getField, patchLeaves, type FieldPath } from './field-path.js';

export interface RemainingField {
  object: string;
  path: string;
  desired: unknown;
  live: unknown;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A pointer for a field neither side has; a named item it cannot index shows as `[name]`. */
const namedPointer = (path: FieldPath): string =>
  path.map((s) => `/${typeof s === 'string' ? escapePointer(s) : `[${s.name}]`}`).join('');

/** The object a change names, among `objects`; a missing namespace counts as `defaultNamespace`. */
export function findObject(
  objects: readonly KubeObject[],
  c: LiveChange,
  defaultNamespace = '',
): KubeObject | undefined {
  const o = c.object;
  return objects.find(
    (x) =>
      x.kind === o.kind &&
      x.metadata.name === o.name &&
      groupOf(x.apiVersion) === groupOf(o.apiVersion) &&
      (x.metadata.namespace ?? defaultNamespace) === o.namespace,
  );
}

/** Every field the changes set whose rendered value is not the live one. `path` is a JSON pointer. */
export function remainingFields(
  rendered: readonly KubeObject[],
  changes: readonly LiveChange[],
  liveAfter: readonly KubeObject[],
  defaultNamespace = '',
): RemainingField[] {
  const out: RemainingField[] = [];
  changes.forEach((c, i) => {
    const live = liveAfter[i];
    if (!live) return;
    const desired = findObject(rendered, c, defaultNamespace);
    const object = objectKey(live);
    if (!desired) {
      out.push({ object, path: '', desired: null, live: `${c.object.kind}/${c.object.name}` });
      return;
    }
    for (const leaf of patchLeaves(c.patch, c.patchType)) {
      const d = getField(desired, leaf.path),
        l = getField(live, leaf.path);
      if (isDeepStrictEqual(d.value, l.value)) continue;
      const path = l.found ? l.pointer : d.found ? d.pointer : namedPointer(leaf.path);
      if (!out.some((r) => r.object === object && r.path === path))
        out.push({ object, path, desired: d.value, live: l.value });
    }
  });
  return out;
}

/**
 * `obj` with a patch applied the way the API server would: JSON merge patch (RFC 7386), or
 * strategic merge where lists of named items merge by `name`. Stands in for the live object
 * when a caller has none (the commit step), so the edits hold exactly the patch's values.
 */
export function patchedObject<T>(obj: T, patch: Record<string, unknown>, patchType: 'merge' | 'strategic'): T {
  const merge = (target: unknown, p: unknown): unknown => {
    if (!isMap(p)) return structuredClone(p);
    const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(p)) {
      if (v === null) {
        delete out[k];
        continue;
      }
      const cur = out[k];
      if (patchType === 'strategic' && Array.isArray(v) && v.every((it) => isMap(it) && typeof it.name === 'string')) {
        const list = Array.isArray(cur) ? [...cur] : [];
        for (const item of v as Array<Record<string, unknown>>) {
          const i = list.findIndex((x) => isMap(x) && x.name === item.name);
          if (i >= 0) list[i] = merge(list[i], item);
          else list.push(merge({}, item));
        }
        out[k] = list;
      } else {
        out[k] = merge(cur, v);
      }
    }
    return out;
  };
  return merge(obj, patch) as T;
}
