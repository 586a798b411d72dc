/**
 * The YAML documents of a checkout as seen from one Kubernetes object: which documents are that
 * object (or a patch for it) in a given kustomize layer, and the in-memory edits that make one of
 * them hold a field's value. Edits are applied to the loaded documents at once, so later fields of
 * the same change see earlier ones (two new env entries become two list items, not one).
 */
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { isMap, isScalar, isSeq, type Document } from 'yaml';
import { FailureType, type GitEdit } from '../../../workflows/types.js';
import { groupOf } from '../gitops/render.js';
import { FieldPathError, type FieldPath, type PatchLeaf } from './field-path.js';
import type { KustomizeLayer, PatchTarget } from './kustomize-tree.js';
import { KUSTOMIZATION_FILES } from './kustomize-sources.js';
import {
  getAt,
  readYamlFile,
  removeAt,
  setAt,
  writeYamlFile,
  yamlFromText,
  YamlEditError,
  type YamlFile,
  type YamlStyle,
} from './yaml-edit.js';

/** A patch file (a `null` there is kustomize's delete directive) or a file that defines the object. */
export type Role = 'patch' | 'resource';
export interface ObjectId {
  group: string;
  kind: string;
  name: string;
  namespace: string;
}

const badInput = (message: string, details: Record<string, unknown> = {}) =>
  ApplicationFailure.nonRetryable(message, FailureType.BadInput, details);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `remove` is set on edits that delete a key (a `null` in the patch, in a resource file). */
export function applyEditToDoc(doc: Document, e: GitEdit): void {
  if (e.remove) removeAt(doc, e.yamlPath);
  else setAt(doc, e.yamlPath, e.value);
}

/** The style of the kustomization beside `file`, which a new file there is written in; undefined when none reads. */
async function neighbourStyle(checkoutDir: string, file: string): Promise<YamlStyle | undefined> {
  const dir = file.slice(0, file.lastIndexOf('/') + 1);
  for (const name of KUSTOMIZATION_FILES) {
    const k = await readYamlFile(checkoutDir, `${dir}${name}`).catch(() => undefined);
    if (k) return k.style;
  }
  return undefined;
}

/** Writes `edits` (in order) into the checkout; returns the files changed, in first-edit order. */
export async function applyEdits(checkoutDir: string, edits: readonly GitEdit[]): Promise<string[]> {
  const files = new Map<string, YamlFile>();
  for (const e of edits) {
    if (e.newFile) {
      const f = yamlFromText(e.file, String(e.value));
      files.set(e.file, { ...f, style: (await neighbourStyle(checkoutDir, e.file)) ?? f.style });
      continue;
    }
    let f = files.get(e.file);
    if (!f) files.set(e.file, (f = await readYamlFile(checkoutDir, e.file)));
    const doc = f.docs[e.docIndex];
    if (!doc) throw new YamlEditError(e.file, `has no document ${e.docIndex}`);
    applyEditToDoc(doc, e);
  }
  for (const f of files.values()) await writeYamlFile(checkoutDir, f);
  return [...files.keys()];
}

export class ObjectDocs {
  private readonly files = new Map<string, YamlFile>();
  private readonly unreadable = new Set<string>();

  /** `liveValue` gives the value a field must end up with (the live one, or null to delete). */
  constructor(
    private readonly dir: string,
    readonly id: ObjectId,
    private readonly liveValue: (leaf: PatchLeaf) => unknown,
  ) {}

  /** The parsed file, cached; undefined when missing or not YAML (kustomize reports those when rendering). */
  async load(file: string): Promise<YamlFile | undefined> {
    const cached = this.files.get(file);
    if (cached) return cached;
    if (this.unreadable.has(file)) return undefined;
    try {
      const f = await readYamlFile(this.dir, file);
      this.files.set(file, f);
      return f;
    } catch (err) {
      if (!(err instanceof YamlEditError)) throw err;
      this.unreadable.add(file);
      return undefined;
    }
  }

  /** Whether `file` was loaded or created here. */
  has(file: string): boolean {
    return this.files.has(file);
  }

  /** A new file holding `text` (one document), kept in memory like a loaded one; the edit that creates it. */
  create(file: string, text: string, style: YamlStyle, why: string): { f: YamlFile; edit: GitEdit } {
    const f = { ...yamlFromText(file, text), style };
    this.files.set(file, f);
    this.unreadable.delete(file);
    return { f, edit: { file, docIndex: 0, yamlPath: [], value: text, before: undefined, why, newFile: true } };
  }

  /** Names the object has in a layer's files: the live name without the prefix/suffix added on the way up. */
  candidateNames(layer: KustomizeLayer | undefined): string[] {
    const { name } = this.id;
    const out = [name];
    if (
      layer &&
      (layer.prefix || layer.suffix) &&
      name.startsWith(layer.prefix) &&
      name.endsWith(layer.suffix) &&
      name.length > layer.prefix.length + layer.suffix.length
    ) {
      out.push(name.slice(layer.prefix.length, name.length - layer.suffix.length));
    }
    return out;
  }

  /** Whether document `i` of `f` is this object, or (with `target`, or as a patch doc) patches it. */
  matches(f: YamlFile, i: number, layer: KustomizeLayer | undefined, role: Role, target?: PatchTarget): boolean {
    const js: unknown = f.docs[i]?.toJS();
    if (!isObj(js)) return false; // JSON 6902 patches are lists of operations; rewind does not edit them
    const meta = isObj(js.metadata) ? js.metadata : {};
    const names = this.candidateNames(layer);
    const nsOk = (ns: unknown) =>
      ns === undefined || ns === this.id.namespace || (layer?.namespaced ?? false) || (role === 'patch' && ns === '');
    if (target) {
      const nameOk =
        target.name === undefined || names.some((n) => n === target.name || fullMatch(target.name as string, n));
      return (target.kind === undefined || target.kind === this.id.kind) && nameOk && nsOk(target.namespace);
    }
    if (js.kind !== this.id.kind || !names.includes(String(meta.name))) return false;
    if (typeof js.apiVersion === 'string' && groupOf(js.apiVersion) !== this.id.group) return false;
    return nsOk(meta.namespace);
  }

  findDoc(
    f: YamlFile,
    layer: KustomizeLayer,
    role: Role,
    target?: PatchTarget,
    also?: (js: unknown) => boolean,
  ): number {
    return f.docs.findIndex((d, i) => this.matches(f, i, layer, role, target) && (!also || also(d.toJS())));
  }

  /**
   * Edits that make `doc[docIndex]` at `base` + `leaf.path` hold the field's value, creating named
   * list items first. `null` deletes: in a patch it stays a literal null (kustomize's delete
   * directive), in a resource the key is removed. `full` is the leaf as the patch names it.
   */
  editIn(
    f: YamlFile,
    docIndex: number,
    base: Array<string | number>,
    leaf: PatchLeaf,
    role: Role,
    why: string,
    full: PatchLeaf = leaf,
  ): GitEdit[] {
    const doc = f.docs[docIndex] as Document;
    const { yamlPath, creates } = concretePath(doc, base, leaf.path);
    const edits: GitEdit[] = [];
    for (const c of creates) edits.push(...this.set(f, docIndex, c.yamlPath, c.name, `new "${c.name}" item; ${why}`));
    const value = this.liveValue(full);
    if (value === null && role === 'resource') return [...edits, ...this.remove(f, docIndex, yamlPath, why)];
    if (yamlPath.length === 0)
      throw badInput(`--git-path points at the whole document of ${f.file}; point at the field`);
    return [...edits, ...this.set(f, docIndex, yamlPath, value, why)];
  }

  /** One edit setting `yamlPath`, applied in memory; none when the document already holds the value. */
  set(f: YamlFile, docIndex: number, yamlPath: Array<string | number>, value: unknown, why: string): GitEdit[] {
    const doc = f.docs[docIndex] as Document;
    const before = getAt(doc, yamlPath);
    if (doc.hasIn(yamlPath) && isDeepStrictEqual(before, value)) return [];
    const edit: GitEdit = { file: f.file, docIndex, yamlPath, value, before, why };
    try {
      applyEditToDoc(doc, edit);
    } catch (err) {
      throw badInput(`cannot set ${yamlPath.join('.')} in ${f.file}: ${(err as Error).message}`, { file: f.file });
    }
    return [edit];
  }

  remove(f: YamlFile, docIndex: number, yamlPath: Array<string | number>, why: string): GitEdit[] {
    const doc = f.docs[docIndex] as Document;
    if (!doc.hasIn(yamlPath)) return [];
    const edit: GitEdit = {
      file: f.file,
      docIndex,
      yamlPath,
      value: null,
      before: getAt(doc, yamlPath),
      why,
      remove: true,
    };
    applyEditToDoc(doc, edit);
    return [edit];
  }
}

/** Anchored regex match, as kustomize matches `target.name`; an invalid pattern matches nothing. */
function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/**
 * Turns a field path into a YAML path in one document, below `base`: a named item is found by its
 * `name`, or is to be created at the end of its list (reported in `creates`, name first).
 */
function concretePath(
  doc: Document,
  base: Array<string | number>,
  path: FieldPath,
): { yamlPath: Array<string | number>; creates: Array<{ yamlPath: Array<string | number>; name: string }> } {
  const yamlPath = [...base];
  const creates: Array<{ yamlPath: Array<string | number>; name: string }> = [];
  for (const step of path) {
    if (typeof step === 'string') {
      yamlPath.push(step);
      continue;
    }
    // Below an item still to be created nothing exists yet.
    const node = creates.length > 0 ? undefined : doc.getIn(yamlPath, true);
    let i = -1;
    if (isSeq(node)) i = node.items.findIndex((it) => isMap(it) && it.get('name') === step.name);
    else if (node !== undefined && node !== null && !(isScalar(node) && node.value === null)) {
      throw new FieldPathError(
        `${yamlPath.join('.')} in the document is not a list, so it has no item named "${step.name}"`,
      );
    }
    if (i < 0) {
      i = isSeq(node) ? node.items.length : 0;
      creates.push({ yamlPath: [...yamlPath, i, 'name'], name: step.name });
    }
    yamlPath.push(i);
  }
  return { yamlPath, creates };
}
