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
 *    keys and named list items as needed.
 *
 * A change for one environment stays in it (`gitScope` 'env', the default): when the place found
 * is a layer other environments render too (a shared base, through any number of layers), the
 * field goes instead into the env's own patch for the object, a new strategic-merge patch file
 * `<overlay>/<kind>-<name>-patch.yaml` registered under the overlay's `patches:` when there is
 * none. Containers and env entries are written as named items, which strategic merge matches by
 * name. With `gitScope` 'base' the shared layer is edited (and step 2 is skipped: the field goes
 * where the object is defined); `why` names the environments that change with it.
 *
 * An explicit `gitFile` + `gitPath` replaces the search. Nothing is written here; `applyEdits`
 * writes the edits, and rendering afterwards is what proves them, in this and in every other
 * environment (plan-live-change.ts).
 */
import { stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { Document, type Node } from 'yaml';
import { FailureType, type GitEdit, type LiveChange } from '../../../workflows/types.js';
import { groupOf, type KubeObject } from '../gitops/render.js';
import {
  FieldPathError,
  formatFieldPath,
  getField,
  parseGitPath,
  patchLeaves,
  type FieldPath,
  type PatchLeaf,
} from './field-path.js';
import {
  environmentsReaching,
  kustomizeGraph,
  kustomizeLayers,
  type KustomizeGraph,
  type KustomizeLayer,
  type PatchTarget,
} from './kustomize-tree.js';
import { ObjectDocs, type Role } from './object-docs.js';
import { getAt, repoFile, setAt, YamlEditError, type YamlFile } from './yaml-edit.js';

export { applyEdits } from './object-docs.js';

const badInput = (message: string, details: Record<string, unknown> = {}) =>
  ApplicationFailure.nonRetryable(message, FailureType.BadInput, details);

const WORKLOADS_WITH_REPLICAS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const FILE_SEGMENT = /^[A-Za-z0-9_.-]+$/;

export async function locateEdits(
  checkoutDir: string,
  envPath: string,
  change: LiveChange,
  afterObject: KubeObject,
): Promise<GitEdit[]> {
  try {
    return await new Locator(checkoutDir, envPath, change, afterObject).run();
  } catch (err) {
    if (err instanceof FieldPathError || err instanceof YamlEditError) throw badInput(err.message);
    throw err;
  }
}

interface ImageRef {
  repo: string;
  tag?: string;
  digest?: string;
}

export function parseImage(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const named =
    colon > rest.lastIndexOf('/') ? { repo: rest.slice(0, colon), tag: rest.slice(colon + 1) } : { repo: rest };
  return { ...named, ...(digest ? { digest } : {}) };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Makes the edits for a place found (in memory): finding a place changes nothing, so a shared one
 * can still be passed over.
 */
type Apply = () => GitEdit[];

class Locator {
  private layers: KustomizeLayer[] = [];
  private readonly docs: ObjectDocs;
  private graph?: Promise<KustomizeGraph>;

  constructor(
    private readonly dir: string,
    private readonly envPath: string,
    private readonly change: LiveChange,
    private readonly after: KubeObject,
  ) {
    const o = change.object;
    if (after.kind !== o.kind || after.metadata.name !== o.name || (after.metadata.namespace ?? '') !== o.namespace) {
      throw badInput(
        `the live object given for ${o.kind} ${o.namespace}/${o.name} is ` +
          `${after.kind} ${after.metadata.namespace ?? ''}/${after.metadata.name}`,
      );
    }
    this.docs = new ObjectDocs(
      dir,
      { group: groupOf(o.apiVersion), kind: o.kind, name: o.name, namespace: o.namespace },
      (leaf) => this.liveValue(leaf),
    );
  }

  private get label(): string {
    return `${this.change.object.kind}/${this.change.object.name}`;
  }

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

  private get toBase(): boolean {
    return this.change.gitScope === 'base';
  }

  private async locate(leaf: PatchLeaf): Promise<GitEdit[]> {
    const { docs } = this;
    const field = formatFieldPath(leaf.path);
    for (const layer of this.layers) {
      const apply = await this.setter(layer, leaf);
      if (!apply) continue;
      const others = this.toBase ? [] : await this.sharedWith(layer);
      return others.length > 0
        ? this.envPatch(leaf, `${field} of ${this.label} is set in ${layer.dir}`, layer, others)
        : apply();
    }
    const own = this.toBase ? undefined : await this.envPatchDoc();
    if (own)
      return docs.editIn(
        own.f,
        own.i,
        [],
        leaf,
        'patch',
        `${own.f.file} is ${this.envPath}'s patch for ${this.label}: the value is specific to this environment`,
      );
    const def = await this.definition();
    if (!def) throw this.notFound();
    const others = this.toBase ? [] : await this.sharedWith(def.layer);
    if (others.length > 0)
      return this.envPatch(leaf, `${field} of ${this.label} comes only from ${def.f.file}`, def.layer, others);
    return docs.editIn(def.f, def.i, [], leaf, 'resource', await this.resourceWhy(def.layer, def.f.file, field));
  }

  /** Step 1 for one layer: its `images:`/`replicas:` entry or a patch file of it that sets the field. */
  private async setter(layer: KustomizeLayer, leaf: PatchLeaf): Promise<Apply | undefined> {
    const t = layer.kustomization ? await this.transformer(layer, leaf) : undefined;
    if (t) return t;
    for (const pf of layer.patchFiles) {
      const f = await this.docs.load(pf.file);
      const i = f ? this.docs.findDoc(f, layer, 'patch', pf.target, (js) => getField(js, leaf.path).found) : -1;
      if (f && i >= 0)
        return () =>
          this.docs.editIn(
            f,
            i,
            [],
            leaf,
            'patch',
            `${pf.file} is the patch that sets ${formatFieldPath(leaf.path)} for ${this.label}`,
          );
    }
    return undefined;
  }

  /** The env's own patch document for the object (one of its overlay's patch files), if any. */
  private async envPatchDoc(): Promise<{ f: YamlFile; i: number } | undefined> {
    const env = this.layers[0];
    for (const pf of env?.kustomization ? env.patchFiles : []) {
      const f = await this.docs.load(pf.file);
      const i = f && env ? this.docs.findDoc(f, env, 'patch', pf.target) : -1;
      if (f && i >= 0) return { f, i };
    }
    return undefined;
  }

  /** The resource document that defines the object, most specific layer first. */
  private async definition(): Promise<{ layer: KustomizeLayer; f: YamlFile; i: number } | undefined> {
    for (const layer of this.layers) {
      for (const file of layer.resourceFiles) {
        const f = await this.docs.load(file);
        const i = f ? this.docs.findDoc(f, layer, 'resource') : -1;
        if (f && i >= 0) return { layer, f, i };
      }
    }
    return undefined;
  }

  /**
   * Other environments that render `layer` too (none for the env's own layer: the render check
   * covers an overlay pulled in elsewhere).
   */
  private async sharedWith(layer: KustomizeLayer): Promise<string[]> {
    if (layer.dir === this.envPath) return [];
    this.graph ??= kustomizeGraph(this.dir);
    return environmentsReaching(await this.graph, layer.dir, new Set(this.layers.map((l) => l.dir)));
  }

  /**
   * The field written into the env's own patch for the object, made first when there is none:
   * `<overlay>/<kind>-<name>-patch.yaml`, listed under `patches:` of the overlay's kustomization.
   */
  private async envPatch(
    leaf: PatchLeaf,
    source: string,
    shared: KustomizeLayer,
    others: string[],
  ): Promise<GitEdit[]> {
    const env = this.layers[0];
    if (!env?.kustomization) throw this.notFound();
    const why =
      `${source}; ${others.join(', ')} render ${shared.dir} too, ` +
      `so the value goes into ${this.envPath}'s own patch`;
    const own = await this.envPatchDoc();
    if (own)
      return this.docs.editIn(
        own.f,
        own.i,
        [],
        leaf,
        'patch',
        `${own.f.file} is ${this.envPath}'s patch for ${this.label}; ${why}`,
      );
    const made = await this.newEnvPatch(env, why);
    return [
      ...made.edits,
      ...this.docs.editIn(made.f, 0, [], leaf, 'patch', `${made.f.file} is a new patch for ${this.label}; ${why}`),
    ];
  }

  private async newEnvPatch(env: KustomizeLayer, why: string): Promise<{ f: YamlFile; edits: GitEdit[] }> {
    const kfile = env.kustomization as string;
    const k = await this.docs.load(kfile);
    if (!k?.docs[0])
      throw badInput(
        `${kfile} cannot be read as YAML, so rewind cannot add a patch to it; ` +
          `fix it, or name the place with --git-file <path> --git-path <yaml.path>`,
        { file: kfile },
      );
    // The object as the files name it (before any namePrefix), so the patch matches as kustomize resolves it.
    const def = await this.definition();
    const js: unknown = def?.f.docs[def.i]?.toJS();
    const meta = isObj(js) && isObj(js.metadata) ? js.metadata : {};
    const names = this.docs.candidateNames(env);
    const name = typeof meta.name === 'string' ? meta.name : (names[names.length - 1] as string);
    const apiVersion = isObj(js) && typeof js.apiVersion === 'string' ? js.apiVersion : this.change.object.apiVersion;
    const doc = new Document({});
    setAt(doc, ['apiVersion'], apiVersion);
    setAt(doc, ['kind'], this.change.object.kind);
    setAt(doc, ['metadata', 'name'], name);
    if (typeof meta.namespace === 'string') setAt(doc, ['metadata', 'namespace'], meta.namespace);
    (doc.contents as Node).commentBefore =
      ` ${this.change.object.kind} ${name} in ${env.dir} only; the base it patches is shared with other environments`;
    const file = await this.freeFileName(
      env.dir,
      `${this.change.object.kind}-${name}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-'),
    );
    const { f, edit } = this.docs.create(
      file,
      doc.toString({ ...k.style, lineWidth: 0, minContentWidth: 0 }),
      k.style,
      `new patch ${file} for ${this.label}; ${why}`,
    );
    env.patchFiles.push({ file });
    const entries = getAt(k.docs[0], ['patches']);
    const at = Array.isArray(entries) ? entries.length : 0;
    const register = this.docs.set(
      k,
      0,
      ['patches', at, 'path'],
      file.slice(env.dir.length + 1),
      `registers the new patch ${file} under patches:`,
    );
    return { f, edits: [edit, ...register] };
  }

  /** `<dir>/<stem>-patch.yaml`, or `-patch-2.yaml`… when a file of that name exists already. */
  private async freeFileName(dir: string, stem: string): Promise<string> {
    for (let n = 1; ; n++) {
      const file = `${dir}/${stem}-patch${n === 1 ? '' : `-${n}`}.yaml`;
      if (!(await stat(await repoFile(this.dir, file)).catch(() => undefined)) && !this.docs.has(file)) return file;
    }
  }

  private async resourceWhy(layer: KustomizeLayer, file: string, field: string): Promise<string> {
    if (!layer.kustomization && layer.dir === this.envPath)
      return `${file} defines ${this.label} (plain manifests, applied as they are)`;
    const why = `${file} defines ${this.label} and no patch of ${this.envPath} sets ${field}`;
    const others = await this.sharedWith(layer);
    return others.length > 0
      ? `${why}; ${layer.dir} is also rendered by ${others.join(', ')}, which get this change too (--git-base)`
      : why;
  }

  /** `images:` / `replicas:` entries of one layer's kustomization; undefined when none applies. */
  private async transformer(layer: KustomizeLayer, leaf: PatchLeaf): Promise<Apply | undefined> {
    const kfile = layer.kustomization as string;
    const p = leaf.path;
    const list = p[p.length - 3];
    const isImage =
      p[p.length - 1] === 'image' &&
      typeof p[p.length - 2] === 'object' &&
      typeof list === 'string' &&
      CONTAINER_LISTS.has(list);
    const isReplicas =
      p.length === 2 && p[0] === 'spec' && p[1] === 'replicas' && WORKLOADS_WITH_REPLICAS.has(this.change.object.kind);
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
      return () =>
        this.docs.set(
          f,
          0,
          ['replicas', i, 'count'],
          value,
          `${kfile} sets the replicas of ${this.label} (its replicas: entry)`,
        );
    }
    if (typeof value !== 'string') return undefined;
    const img = parseImage(value);
    const entries = getAt(doc, ['images']);
    if ((img.tag === undefined && img.digest === undefined) || !Array.isArray(entries)) return undefined;
    const names = await this.imageNames(leaf, img.repo);
    const i = entries.findIndex((e) => isObj(e) && typeof e.name === 'string' && names.has(e.name));
    const entry = entries[i] as Record<string, unknown> | undefined;
    if (!entry) return undefined;
    const why =
      `${kfile} sets the image of ${formatFieldPath(p.slice(-3, -1))} (images: ` +
      `entry "${String(entry.name)}"); promotions change it here`;
    const at = (k: string) => ['images', i, k];
    return () => {
      const edits: GitEdit[] = [];
      if (img.digest) edits.push(...this.docs.set(f, 0, at('digest'), img.digest, why));
      else {
        edits.push(...this.docs.set(f, 0, at('newTag'), img.tag, why));
        if (entry.digest !== undefined) edits.push(...this.docs.remove(f, 0, at('digest'), why));
      }
      if ((entry.newName ?? entry.name) !== img.repo) edits.push(...this.docs.set(f, 0, at('newName'), img.repo, why));
      return edits;
    };
  }

  /**
   * Repository names an `images:` entry could match for this container: what Git's files set it
   * to (resources and patches, any layer), followed through `newName` renames, plus the live one.
   */
  private async imageNames(leaf: PatchLeaf, liveRepo: string): Promise<Set<string>> {
    const names = new Set<string>([liveRepo]);
    const renames: Array<[string, string]> = [];
    for (const layer of this.layers) {
      const sources: ReadonlyArray<readonly [string, Role, PatchTarget | undefined]> = [
        ...layer.patchFiles.map((p) => [p.file, 'patch', p.target] as const),
        ...layer.resourceFiles.map((r) => [r, 'resource', undefined] as const),
      ];
      for (const [file, role, target] of sources) {
        const f = await this.docs.load(file);
        f?.docs.forEach((d, i) => {
          const v = this.docs.matches(f, i, layer, role, target) ? getField(d.toJS(), leaf.path).value : undefined;
          if (typeof v === 'string') names.add(parseImage(v).repo);
        });
      }
      const k = layer.kustomization ? (await this.docs.load(layer.kustomization))?.docs[0] : undefined;
      const entries = k ? getAt(k, ['images']) : undefined;
      for (const e of Array.isArray(entries) ? entries : [])
        if (isObj(e) && typeof e.name === 'string' && typeof e.newName === 'string') renames.push([e.name, e.newName]);
    }
    for (let grew = true; grew; ) {
      grew = false;
      for (const [from, to] of renames)
        if (names.has(from) && !names.has(to)) {
          names.add(to);
          grew = true;
        }
    }
    return names;
  }

  private async explicit(leaves: PatchLeaf[]): Promise<GitEdit[]> {
    const { gitFile, gitPath } = this.change;
    if (gitFile === undefined || gitPath === undefined)
      throw badInput(
        'an explicit Git location needs both a file and a path; give ' +
          'both --git-file <repo-relative file> and --git-path <yaml.path>',
      );
    const segments = gitFile.split('/');
    if (
      gitFile.startsWith('/') ||
      segments.some((s) => s === '' || s === '.' || s === '..' || s === '.git' || !FILE_SEGMENT.test(s)) ||
      !/\.ya?ml$/.test(gitFile)
    ) {
      throw badInput(
        `--git-file "${gitFile}" must be a .yaml/.yml file relative to the ` +
          `repository root, inside it (letters, digits, . _ - and /, no ..)`,
        { gitFile },
      );
    }
    const base = parseGitPath(gitPath);
    const f = await this.docs.load(gitFile);
    if (!f) throw badInput(`--git-file ${gitFile} does not exist (or is not valid YAML) on the branch`, { gitFile });
    const docIndex = f.docs.findIndex((_, i) => this.docs.matches(f, i, undefined, 'patch'));
    const at = docIndex >= 0 ? docIndex : f.docs.length === 1 ? 0 : -1;
    if (at < 0)
      throw badInput(
        `--git-file ${gitFile} has ${f.docs.length} documents and none is ${this.label}; ` +
          `point at a file with one document, or one that defines the object`,
        { gitFile },
      );
    // gitPath names the deepest node of the patch that holds every field it sets: for a
    // one-field patch the field itself, for `data: {A, B}` the `data` map.
    const common = commonPrefix(leaves.map((l) => l.path));
    const role: Role = this.layers.some((l) => l.patchFiles.some((p) => p.file === gitFile)) ? 'patch' : 'resource';
    const why = `explicit location: --git-file ${gitFile} --git-path ${gitPath}`;
    return leaves.flatMap((leaf) =>
      this.docs.editIn(f, at, base, { path: leaf.path.slice(common.length), value: leaf.value }, role, why, leaf),
    );
  }

  private notFound(): ApplicationFailure {
    const { kind, namespace, name } = this.change.object;
    const searched = [
      ...new Set(
        this.layers.flatMap((l) => [
          ...(l.kustomization ? [l.kustomization] : []),
          ...l.patchFiles.map((p) => p.file),
          ...l.resourceFiles,
        ]),
      ),
    ];
    const inline = this.layers.reduce((n, l) => n + l.inlinePatches, 0);
    return badInput(
      `no file in the Git sources of ${this.envPath} defines ${kind} ${namespace}/${name} ` +
        `(searched ${searched.join(', ') || 'nothing: the path has no manifests'}` +
        `${inline ? `; ${inline} inline patch(es) are not searched` : ''}). ` +
        'If it is made elsewhere (a generator, Helm values, another ' +
        'repo), name the place: --git-file <path> --git-path <yaml.path>',
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
