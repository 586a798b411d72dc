/**
 * Paths to the fields a live patch sets, in a form that can be found again in Git files: a list
 * item is named by its `name` (as strategic merge matches containers, env, ports, volumes), never
 * by index, because a base, a patch and the live object list the same items in different orders.
 */

/** One step: a map key, or the item whose `name` is this in a list. */
export type FieldStep = string | { name: string };
export type FieldPath = FieldStep[];

/** One field a patch sets. `value: null` means the patch deletes it. */
export interface PatchLeaf {
  path: FieldPath;
  value: unknown;
}

/** Thrown when a patch or a --git-path has a shape rewind cannot map onto Git. */
export class FieldPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldPathError';
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether strategic merge would merge this list item by item on `name`. */
function namedItems(list: unknown[]): list is Array<Record<string, unknown> & { name: string }> {
  if (list.length === 0 || !list.every((i) => isMap(i) && typeof i.name === 'string')) return false;
  return new Set(list.map((i) => (i as { name: string }).name)).size === list.length;
}

/**
 * Every leaf field a patch sets. Maps are walked; in a strategic patch, lists whose items all have
 * a distinct `name` are walked item by item; any other list (and every list in a merge patch)
 * replaces the whole value, so it is one leaf.
 */
export function patchLeaves(patch: Record<string, unknown>, patchType: 'merge' | 'strategic'): PatchLeaf[] {
  const out: PatchLeaf[] = [];
  const walk = (value: unknown, at: FieldPath) => {
    if (isMap(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) {
        if (k.startsWith('$')) {
          throw new FieldPathError(
            `the patch uses the strategic-merge directive "${k}" ` +
              `at ${formatFieldPath(at) || '(root)'}; rewind can only carry plain field values to Git`,
          );
        }
        walk(v, [...at, k]);
      }
      return;
    }
    if (Array.isArray(value) && patchType === 'strategic' && namedItems(value)) {
      for (const item of value) {
        const rest = Object.keys(item).filter((k) => k !== 'name');
        // An item with only its name asks for the item to exist: its name is the field it sets.
        if (rest.length === 0) out.push({ path: [...at, { name: item.name }, 'name'], value: item.name });
        for (const k of rest) walk(item[k], [...at, { name: item.name }, k]);
      }
      return;
    }
    out.push({ path: at, value });
  };
  walk(patch, []);
  return out.filter((l) => l.path.length > 0);
}

/** Finds `path` in a plain value; `pointer` is the JSON pointer (array indexes) when found. */
export function getField(root: unknown, path: FieldPath): { found: boolean; value?: unknown; pointer: string } {
  let cur: unknown = root;
  let pointer = '';
  for (const step of path) {
    if (typeof step === 'string') {
      if (!isMap(cur) || !(step in cur)) return { found: false, pointer };
      cur = cur[step];
      pointer += `/${escapePointer(step)}`;
    } else {
      const i = Array.isArray(cur) ? cur.findIndex((it) => isMap(it) && it.name === step.name) : -1;
      if (i < 0) return { found: false, pointer };
      cur = (cur as unknown[])[i];
      pointer += `/${i}`;
    }
  }
  return { found: true, value: cur, pointer };
}

export const escapePointer = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** `spec.template.spec.containers[users-api].env[FEATURE_X].value` */
export function formatFieldPath(path: FieldPath): string {
  return path.map((s, i) => (typeof s === 'string' ? `${i === 0 ? '' : '.'}${s}` : `[${s.name}]`)).join('');
}

/**
 * Parses an explicit `--git-path`: dot-separated keys of `[A-Za-z0-9_-]`, with `[...]` for a key
 * that holds dots (`data[app.properties]`) or an index (`containers[0]`, also `containers.0`).
 */
export function parseGitPath(text: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /([A-Za-z0-9_-]+)|\[([A-Za-z0-9_.-]+)\]|(\.)/gy;
  let expectSegment = true;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text)) !== null) {
    if (m[3] !== undefined) {
      if (expectSegment) break;
      expectSegment = true;
    } else {
      // `a[b]` needs no dot before the bracket; `a b` or `a.` followed by nothing is malformed.
      if (m[1] !== undefined && !expectSegment) break;
      const seg = (m[1] ?? m[2]) as string;
      out.push(/^\d+$/.test(seg) ? Number(seg) : seg);
      expectSegment = false;
    }
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length || expectSegment || out.length === 0) {
    throw new FieldPathError(
      `--git-path "${text}" is not a YAML path: use dot-separated keys of ` +
        `letters, digits, _ and - (e.g. data.DB_HOST), [key.with.dots] for keys with ` +
        `dots, and numbers for list items (spec.template.spec.containers.0.image)`,
    );
  }
  return out;
}
