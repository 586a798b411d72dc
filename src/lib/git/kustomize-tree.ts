/**
 * The layers an environment renders from, read from a checkout, most specific first: the env's
 * own kustomization, then each base or component it pulls in, depth first in the order listed.
 * A directory without a kustomization is one layer of plain manifests (every YAML file below it).
 *
 * Only what locating a field needs is kept: patch files (with their `target`), resource files,
 * and the name prefix/suffix and namespace transformers between the layer and the rendered object.
 *
 * The repository's kustomizations as a graph tell which other environments render a layer too,
 * so that a change meant for one environment is kept out of the layers it shares.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { isRemote, KUSTOMIZATION_FILES, resolveInRepo } from './kustomize-sources.js';

/** A kustomize patch `target` selector (only the fields rewind matches on). */
export interface PatchTarget {
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface KustomizeLayer {
  /** Repo-relative directory. */
  dir: string;
  /** Repo-relative kustomization file; undefined for a plain-manifest directory. */
  kustomization?: string;
  /** Files from `patches[].path` and `patchesStrategicMerge`, in order. */
  patchFiles: Array<{ file: string; target?: PatchTarget }>;
  /** Files from `resources`/`bases` that are not directories, or every manifest of a plain directory. */
  resourceFiles: string[];
  /**
   * Name prefix and suffix added between this layer and the rendered output (this layer's and every enclosing one's).
   */
  prefix: string;
  suffix: string;
  /** Whether this layer or an enclosing one sets `namespace:`, which overrides what the files say. */
  namespaced: boolean;
  /** Inline patches (`patch: |`), which rewind does not edit; listed so a refusal can name them. */
  inlinePatches: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** `ref` resolved against `dir`, both repo-relative; undefined when remote or outside the repository. */
const inRepo = (dir: string, ref: string): string | undefined => (isRemote(ref) ? undefined : resolveInRepo(dir, ref));

async function kind(root: string, rel: string): Promise<'dir' | 'file' | undefined> {
  const s = await stat(path.join(root, rel)).catch(() => undefined);
  return s?.isDirectory() ? 'dir' : s?.isFile() ? 'file' : undefined;
}

export async function kustomizationFileIn(root: string, dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) if ((await kind(root, `${dir}/${name}`)) === 'file') return `${dir}/${name}`;
  return undefined;
}

/** Every manifest file below `dir`, sorted per level, dot-entries skipped (as render.ts reads plain directories). */
async function manifestFiles(root: string, dir: string): Promise<string[]> {
  const entries = (await readdir(path.join(root, dir), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...(await manifestFiles(root, rel)));
    else if (e.isFile() && /\.(ya?ml|json)$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The layers of `envPath` in `checkoutDir`, most specific first. */
export async function kustomizeLayers(checkoutDir: string, envPath: string): Promise<KustomizeLayer[]> {
  const layers: KustomizeLayer[] = [];
  const seen = new Set<string>();
  const visit = async (dir: string, outer: { prefix: string; suffix: string; namespaced: boolean }): Promise<void> => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const kfile = await kustomizationFileIn(checkoutDir, dir);
    if (!kfile) {
      layers.push({
        dir,
        patchFiles: [],
        resourceFiles: await manifestFiles(checkoutDir, dir),
        ...outer,
        inlinePatches: 0,
      });
      return;
    }
    let k: unknown;
    try {
      k = parse(await readFile(path.join(checkoutDir, kfile), 'utf8'));
    } catch {
      k = undefined;
    }
    const doc = isObj(k) ? k : {};
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const here = {
      prefix: outer.prefix + str(doc.namePrefix),
      suffix: str(doc.nameSuffix) + outer.suffix,
      namespaced: outer.namespaced || (typeof doc.namespace === 'string' && doc.namespace !== ''),
    };
    const layer: KustomizeLayer = {
      dir,
      kustomization: kfile,
      patchFiles: [],
      resourceFiles: [],
      ...here,
      inlinePatches: 0,
    };
    layers.push(layer);
    for (const p of list(doc.patches)) {
      if (!isObj(p)) continue;
      const file = typeof p.path === 'string' ? inRepo(dir, p.path) : undefined;
      if (typeof p.patch === 'string') layer.inlinePatches += 1;
      if (!file || (await kind(checkoutDir, file)) !== 'file') continue;
      const t = isObj(p.target) ? p.target : undefined;
      const target: PatchTarget | undefined = t
        ? {
            ...(typeof t.kind === 'string' ? { kind: t.kind } : {}),
            ...(typeof t.name === 'string' ? { name: t.name } : {}),
            ...(typeof t.namespace === 'string' ? { namespace: t.namespace } : {}),
          }
        : undefined;
      layer.patchFiles.push({ file, ...(target ? { target } : {}) });
    }
    for (const p of list(doc.patchesStrategicMerge)) {
      if (typeof p !== 'string') continue;
      if (p.includes('\n')) {
        layer.inlinePatches += 1;
        continue;
      }
      const file = inRepo(dir, p);
      if (file && (await kind(checkoutDir, file)) === 'file') layer.patchFiles.push({ file });
    }
    const children: string[] = [];
    for (const ref of [...list(doc.resources), ...list(doc.bases), ...list(doc.components)]) {
      if (typeof ref !== 'string') continue;
      const target = inRepo(dir, ref);
      if (!target) continue;
      const k2 = await kind(checkoutDir, target);
      if (k2 === 'file') layer.resourceFiles.push(target);
      else if (k2 === 'dir') children.push(target);
    }
    for (const child of children) await visit(child, here);
  };
  await visit(envPath, { prefix: '', suffix: '', namespaced: false });
  return layers;
}

/**
 * Every kustomization directory of a checkout, with the in-repo directories it pulls in (resources, bases, components).
 */
export type KustomizeGraph = ReadonlyMap<string, readonly string[]>;

export async function kustomizeGraph(checkoutDir: string): Promise<KustomizeGraph> {
  const graph = new Map<string, string[]>();
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > 12) return;
    const entries = await readdir(path.join(checkoutDir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        await walk(child, depth + 1);
        continue;
      }
      if (!KUSTOMIZATION_FILES.includes(e.name) || graph.has(rel)) continue;
      let k: unknown;
      try {
        k = parse(await readFile(path.join(checkoutDir, child), 'utf8'));
      } catch {
        continue;
      }
      if (!isObj(k)) continue;
      const refs = [...list(k.resources), ...list(k.bases), ...list(k.components)].filter(
        (r): r is string => typeof r === 'string',
      );
      graph.set(
        rel,
        refs.map((r) => inRepo(rel, r)).filter((d): d is string => d !== undefined),
      );
    }
  };
  await walk('', 0);
  return graph;
}

/** `dir` and every directory it pulls in, directly or through others. */
function reachFrom(graph: KustomizeGraph, dir: string): Set<string> {
  const seen = new Set<string>();
  const stack = [dir];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    if (seen.has(d)) continue;
    seen.add(d);
    stack.push(...(graph.get(d) ?? []));
  }
  return seen;
}

/** Kustomizations no other kustomization pulls in: what an engine points at, an environment. */
function topLevel(graph: KustomizeGraph): string[] {
  const pulled = new Set([...graph.values()].flat());
  return [...graph.keys()].filter((d) => !pulled.has(d));
}

/**
 * Environments outside `exclude` (the layers of the environment being changed) that render
 * `layerDir` too, directly or through an intermediate layer: an edit made in it changes them.
 */
export function environmentsReaching(graph: KustomizeGraph, layerDir: string, exclude: ReadonlySet<string>): string[] {
  return topLevel(graph)
    .filter((d) => !exclude.has(d) && reachFrom(graph, d).has(layerDir))
    .sort();
}

/**
 * The other environments of `envPath`'s app: top-level kustomizations that share a layer with it
 * (for users-api prod, the dev and staging overlays, which render the same base), plus any that
 * pull `envPath` itself in. A plain-manifest directory that no kustomization names shares nothing.
 */
export async function siblingEnvironments(checkoutDir: string, envPath: string): Promise<string[]> {
  const graph = await kustomizeGraph(checkoutDir);
  const mine = reachFrom(graph, envPath);
  return topLevel(graph)
    .filter((d) => d !== envPath && [...reachFrom(graph, d)].some((x) => mine.has(x)))
    .sort();
}
