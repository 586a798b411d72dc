/**
 * locateEdits: where in Git each field of a live change belongs, so that the environment renders
 * the patched value. Searched the way kustomize applies things, most specific layer first:
 *
 * 1. per layer, env first: the kustomization's `images:` entry for a container image (promotions
 *    live there) or `replicas:` entry for `spec.replicas`, which kustomize applies after that
 *    layer's patches; then a patch file of that layer that targets the object and sets the field;
 * 2. the env's own patch file for the object, which does not set the field yet: the value is
 *    then specific to this environment, as everything in an overlay is;
 * 3. the resource file that defines the object (a base, or a plain-manifest directory), creating
 *    keys and named list items as needed. A base shared with other environments is named in `why`.
 *
 * An explicit `gitFile` + `gitPath` replaces the search. Nothing is written here; `applyEdits`
 * writes the edits, and rendering afterwards is what proves them (plan-live-change.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type GitEdit, type LiveChange } from '../../workflows/types.js';
import { groupOf, type KubeObject } from '../gitops/render.js';
import { FieldPathError, formatFieldPath, getField, parseGitPath, patchLeaves, type FieldPath, type PatchLeaf } from './field-path.js';
import { kustomizeLayers, otherUsersOf, type KustomizeLayer, type PatchTarget } from './kustomize-tree.js';
import { ObjectDocs, type Role } from './object-docs.js';
import { getAt, YamlEditError } from './yaml-edit.js';

export { applyEdits } from './object-docs.js';

const badInput = (message: string, details: Record<string, unknown> = {}) => ApplicationFailure.nonRetryable(message, FailureType.BadInput, details);

const WORKLOADS_WITH_REPLICAS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const FILE_SEGMENT = /^[A-Za-z0-9_.-]+$/;

export async function locateEdits(checkoutDir: string, envPath: string, change: LiveChange, afterObject: KubeObject): Promise<GitEdit[]> {
  try {
    return await new Locator(checkoutDir, envPath, change, afterObject).run();
  } catch (err) {
    if (err instanceof FieldPathError || err instanceof YamlEditError) throw badInput(err.message);
    throw err;
  }
}

interface ImageRef { repo: string; tag?: string; digest?: string }

export function parseImage(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const named = colon > rest.lastIndexOf('/') ? { repo: rest.slice(0, colon), tag: rest.slice(colon + 1) } : { repo: rest };
  return { ...named, ...(digest ? { digest } : {}) };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

class Locator {
  private layers: KustomizeLayer[] = [];
  private readonly docs: ObjectDocs;
  private readonly shared = new Map<string, Promise<string[]>>();

  constructor(private readonly dir: string, private readonly envPath: string, private readonly change: LiveChange, private readonly after: KubeObject) {
    const o = change.object;
    if (after.kind !== o.kind || after.metadata.name !== o.name || (after.metadata.namespace ?? '') !== o.namespace) {
      throw badInput(`the live object given for ${o.kind} ${o.namespace}/${o.name} is ${after.kind} ${after.metadata.namespace ?? ''}/${after.metadata.name}`);
    }
    this.docs = new ObjectDocs(dir, { group: groupOf(o.apiVersion), kind: o.kind, name: o.name, namespace: o.namespace }, (leaf) => this.liveValue(leaf));
  }

  private get label(): string { return `${this.change.object.kind}/${this.change.object.name}`; }

  async run(): Promise<GitEdit[]> {
    if (!isObj(this.change.patch)) throw badInput(`the patch for ${this.label} must be an object`);
    const leaves = patchLeaves(this.change.patch, this.change.patchType);
    if (leaves.length === 0) throw badInput(`the patch for ${this.label} sets no field`);
    this.layers = await kustomizeLayers(this.dir, this.envPath);
    if (this.change.gitFile !== undefined || this.change.gitPath !== undefined) return this.explicit(leaves);
    const edits: GitEdit[] = [];
    for (const leaf of leaves) edits.push(...(await this.locate(leaf)));
    return edits;
  }

  /** The value live holds for the field (normalized by the API server), else the patch's own; null deletes. */
  private liveValue(leaf: PatchLeaf): unknown {
    if (leaf.value === null) return null;
    const live = getField(this.after, leaf.path);
    return live.found ? live.value : leaf.value;
  }

  private async locate(leaf: PatchLeaf): Promise<GitEdit[]> {
    const { docs } = this;
    const field = formatFieldPath(leaf.path);
    for (const layer of this.layers) {
      const t = layer.kustomization ? await this.transformer(layer, leaf) : undefined;
      if (t) return t;
      for (const pf of layer.patchFiles) {
        const f = await docs.load(pf.file);
        const i = f ? docs.findDoc(f, layer, 'patch', pf.target, (js) => getField(js, leaf.path).found) : -1;
        if (f && i >= 0) return docs.editIn(f, i, [], leaf, 'patch', `${pf.file} is the patch that sets ${field} for ${this.label}`);
      }
    }
    const env = this.layers[0];
    for (const pf of env?.kustomization ? env.patchFiles : []) {
      const f = await docs.load(pf.file);
      const i = f && env ? docs.findDoc(f, env, 'patch', pf.target) : -1;
      if (f && i >= 0) return docs.editIn(f, i, [], leaf, 'patch', `${pf.file} is ${this.envPath}'s patch for ${this.label}: the value is specific to this environment`);
    }
    for (const layer of this.layers) {
      for (const file of layer.resourceFiles) {
        const f = await docs.load(file);
        const i = f ? docs.findDoc(f, layer, 'resource') : -1;
        if (f && i >= 0) return docs.editIn(f, i, [], leaf, 'resource', await this.resourceWhy(layer, file, field));
      }
    }
    throw this.notFound();
  }

  private async resourceWhy(layer: KustomizeLayer, file: string, field: string): Promise<string> {
    if (!layer.kustomization && layer.dir === this.envPath) return `${file} defines ${this.label} (plain manifests, applied as they are)`;
    const why = `${file} defines ${this.label} and no patch of ${this.envPath} sets ${field}`;
    if (layer.dir === this.envPath) return why;
    let users = this.shared.get(layer.dir);
    if (!users) this.shared.set(layer.dir, (users = otherUsersOf(this.dir, layer.dir, new Set(this.layers.map((l) => l.dir)))));
    const others = await users;
    return others.length > 0 ? `${why}; ${layer.dir} is also used by ${others.join(', ')}, which get this change too` : why;
  }

  /** `images:` / `replicas:` entries of one layer's kustomization; undefined when none applies. */
  private async transformer(layer: KustomizeLayer, leaf: PatchLeaf): Promise<GitEdit[] | undefined> {
    const kfile = layer.kustomization as string;
    const p = leaf.path;
    const list = p[p.length - 3];
    const isImage = p[p.length - 1] === 'image' && typeof p[p.length - 2] === 'object' && typeof list === 'string' && CONTAINER_LISTS.has(list);
    const isReplicas = p.length === 2 && p[0] === 'spec' && p[1] === 'replicas' && WORKLOADS_WITH_REPLICAS.has(this.change.object.kind);
    if (!isImage && !isReplicas) return undefined;
    const f = await this.docs.load(kfile);
    const doc = f?.docs[0];
    if (!f || !doc) return undefined;
    const value = this.liveValue(leaf);
    if (isReplicas) {
      const entries = getAt(doc, ['replicas']);
      const names = this.docs.candidateNames(layer);
      const i = Array.isArray(entries) ? entries.findIndex((e) => isObj(e) && names.includes(String(e.name))) : -1;
      if (i < 0 || typeof value !== 'number') return undefined;
      return this.docs.set(f, 0, ['replicas', i, 'count'], value, `${kfile} sets the replicas of ${this.label} (its replicas: entry)`);
    }
    if (typeof value !== 'string') return undefined;
    const img = parseImage(value);
    const entries = getAt(doc, ['images']);
    if ((img.tag === undefined && img.digest === undefined) || !Array.isArray(entries)) return undefined;
    const names = await this.imageNames(leaf, img.repo);
    const i = entries.findIndex((e) => isObj(e) && typeof e.name === 'string' && names.has(e.name));
    const entry = entries[i] as Record<string, unknown> | undefined;
    if (!entry) return undefined;
    const why = `${kfile} sets the image of ${formatFieldPath(p.slice(-3, -1))} (images: entry "${String(entry.name)}"); promotions change it here`;
    const at = (k: string) => ['images', i, k];
    const edits: GitEdit[] = [];
    if (img.digest) edits.push(...this.docs.set(f, 0, at('digest'), img.digest, why));
    else {
      edits.push(...this.docs.set(f, 0, at('newTag'), img.tag, why));
      if (entry.digest !== undefined) edits.push(...this.docs.remove(f, 0, at('digest'), why));
    }
    if ((entry.newName ?? entry.name) !== img.repo) edits.push(...this.docs.set(f, 0, at('newName'), img.repo, why));
    return edits;
  }

  /**
   * Repository names an `images:` entry could match for this container: what Git's files set it
   * to (resources and patches, any layer), followed through `newName` renames, plus the live one.
   */
  private async imageNames(leaf: PatchLeaf, liveRepo: string): Promise<Set<string>> {
    const names = new Set<string>([liveRepo]);
    const renames: Array<[string, string]> = [];
    for (const layer of this.layers) {
      const sources: ReadonlyArray<readonly [string, Role, PatchTarget | undefined]> =
        [...layer.patchFiles.map((p) => [p.file, 'patch', p.target] as const), ...layer.resourceFiles.map((r) => [r, 'resource', undefined] as const)];
      for (const [file, role, target] of sources) {
        const f = await this.docs.load(file);
        f?.docs.forEach((d, i) => {
          const v = this.docs.matches(f, i, layer, role, target) ? getField(d.toJS(), leaf.path).value : undefined;
          if (typeof v === 'string') names.add(parseImage(v).repo);
        });
      }
      const k = layer.kustomization ? (await this.docs.load(layer.kustomization))?.docs[0] : undefined;
      const entries = k ? getAt(k, ['images']) : undefined;
      for (const e of Array.isArray(entries) ? entries : []) if (isObj(e) && typeof e.name === 'string' && typeof e.newName === 'string') renames.push([e.name, e.newName]);
    }
    for (let grew = true; grew;) {
      grew = false;
      for (const [from, to] of renames) if (names.has(from) && !names.has(to)) { names.add(to); grew = true; }
    }
    return names;
  }

  private async explicit(leaves: PatchLeaf[]): Promise<GitEdit[]> {
    const { gitFile, gitPath } = this.change;
    if (gitFile === undefined || gitPath === undefined) throw badInput('an explicit Git location needs both a file and a path; give both --git-file <repo-relative file> and --git-path <yaml.path>');
    const segments = gitFile.split('/');
    if (gitFile.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..' || s === '.git' || !FILE_SEGMENT.test(s)) || !/\.ya?ml$/.test(gitFile)) {
      throw badInput(`--git-file "${gitFile}" must be a .yaml/.yml file relative to the repository root, inside it (letters, digits, . _ - and /, no ..)`, { gitFile });
    }
    const base = parseGitPath(gitPath);
    const f = await this.docs.load(gitFile);
    if (!f) throw badInput(`--git-file ${gitFile} does not exist (or is not valid YAML) on the branch`, { gitFile });
    const docIndex = f.docs.findIndex((_, i) => this.docs.matches(f, i, undefined, 'patch'));
    const at = docIndex >= 0 ? docIndex : f.docs.length === 1 ? 0 : -1;
    if (at < 0) throw badInput(`--git-file ${gitFile} has ${f.docs.length} documents and none is ${this.label}; point at a file with one document, or one that defines the object`, { gitFile });
    // gitPath names the deepest node of the patch that holds every field it sets: for a
    // one-field patch the field itself, for `data: {A, B}` the `data` map.
    const common = commonPrefix(leaves.map((l) => l.path));
    const role: Role = this.layers.some((l) => l.patchFiles.some((p) => p.file === gitFile)) ? 'patch' : 'resource';
    const why = `explicit location: --git-file ${gitFile} --git-path ${gitPath}`;
    return leaves.flatMap((leaf) => this.docs.editIn(f, at, base, { path: leaf.path.slice(common.length), value: leaf.value }, role, why, leaf));
  }

  private notFound(): ApplicationFailure {
    const { kind, namespace, name } = this.change.object;
    const searched = [...new Set(this.layers.flatMap((l) => [...(l.kustomization ? [l.kustomization] : []), ...l.patchFiles.map((p) => p.file), ...l.resourceFiles]))];
    const inline = this.layers.reduce((n, l) => n + l.inlinePatches, 0);
    return badInput(
      `no file in the Git sources of ${this.envPath} defines ${kind} ${namespace}/${name} ` +
        `(searched ${searched.join(', ') || 'nothing: the path has no manifests'}${inline ? `; ${inline} inline patch(es) are not searched` : ''}). ` +
        'If it is made elsewhere (a generator, Helm values, another repo), name the place: --git-file <path> --git-path <yaml.path>',
      { searched, object: `${kind}/${namespace}/${name}` },
    );
  }
}

function commonPrefix(paths: FieldPath[]): FieldPath {
  const [first, ...rest] = paths;
  if (!first || rest.length === 0) return first ?? [];
  let n = 0;
  while (n < first.length && rest.every((p) => n < p.length && isDeepStrictEqual(p[n], first[n]))) n++;
  return first.slice(0, n);
}
