/**
 * The fields a live change sets, as JSON pointers into the live object: what the emergency
 * path must find again in Git before auto-sync may resume. Strategic-merge list items
 * (containers, env, ports) are matched by `name`, as the API server merges them.
 */
export interface PatchedField {
  pointer: string;
  value: unknown;
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export function patchedFields(patch: unknown, live: unknown, strategic: boolean, base = ''): PatchedField[] {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return [{ pointer: base, value: patch }];
  const out: PatchedField[] = [];
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (key.startsWith('$')) continue; // strategic-merge directives ($patch, $retainKeys…)
    const here = `${base}/${esc(key)}`;
    const liveChild = live && typeof live === 'object' ? (live as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(value) && strategic && value.every((v) => v && typeof v === 'object' && 'name' in v)) {
      const liveList = Array.isArray(liveChild) ? liveChild : [];
      for (const item of value as Array<Record<string, unknown>>) {
        const index = liveList.findIndex((l) => (l as Record<string, unknown>)?.name === item.name);
        const { name: _name, ...rest } = item;
        const at = `${here}/${index < 0 ? liveList.length : index}`;
        out.push(...patchedFields(rest, liveList[index], strategic, at));
      }
    } else {
      out.push(...patchedFields(value, liveChild, strategic, here));
    }
  }
  return out;
}

/** The steps of a JSON pointer (RFC 6901), unescaped: `/data/a~1b` → `['data', 'a/b']`. */
export const pointerSegments = (pointer: string): string[] =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

export function valueAt(obj: unknown, pointer: string): unknown {
  let cur: unknown = obj;
  for (const key of pointerSegments(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(key)] : (cur as Record<string, unknown>)[key];
  }
  return cur;
}
