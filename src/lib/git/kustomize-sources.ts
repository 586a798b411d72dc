/**
 * Which repository paths can change what an environment renders to. A prod overlay usually holds
 * only a tag and a few patches; the Deployment itself lives in `../../base`, so a history search
 * restricted to the overlay directory would miss a change made in the base.
 */
import path from 'node:path';
import type { Git } from './run-git.js';
import { parse } from 'yaml';
import { fileText, pathType } from './git-read.js';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Fields whose values are paths (files or directories) relative to the kustomization. */
const PATH_LIST_FIELDS = [
  'resources',
  'bases',
  'components',
  'crds',
  'transformers',
  'generators',
  'validators',
  'configurations',
  'patchesStrategicMerge',
];
const PATH_OBJECT_LIST_FIELDS = ['patches', 'patchesJson6902', 'replacements'];
const GENERATOR_FIELDS = ['configMapGenerator', 'secretGenerator'];

export const isRemote = (ref: string): boolean =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) ||
  ref.startsWith('git@') ||
  ref.startsWith('github.com/') ||
  ref.includes('?ref=');

/** Every path-like string in a kustomization, as written. Inline patches (multi-line) are skipped. */
export function referencedPaths(kustomization: unknown): string[] {
  if (typeof kustomization !== 'object' || kustomization === null) return [];
  const k = kustomization as Record<string, unknown>;
  const out: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && v.trim() !== '' && !v.includes('\n')) out.push(v.trim());
  };
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  for (const field of PATH_LIST_FIELDS) list(k[field]).forEach(push);
  for (const field of PATH_OBJECT_LIST_FIELDS) {
    for (const item of list(k[field]))
      if (typeof item === 'object' && item !== null) push((item as Record<string, unknown>).path);
  }
  for (const field of GENERATOR_FIELDS) {
    for (const item of list(k[field])) {
      if (typeof item !== 'object' || item === null) continue;
      const g = item as Record<string, unknown>;
      // `files` entries may be `key=path`.
      for (const f of list(g.files)) if (typeof f === 'string') push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      list(g.envs).forEach(push);
      push(g.env);
    }
  }
  const openapi = k.openapi;
  if (typeof openapi === 'object' && openapi !== null) push((openapi as Record<string, unknown>).path);
  return out.filter((p) => !isRemote(p));
}

/** Resolves `ref` against `dir` (both repo-relative); undefined when it leaves the repository. */
export function resolveInRepo(dir: string, ref: string): string | undefined {
  if (ref.startsWith('/')) return undefined;
  const joined = path.posix.normalize(path.posix.join(dir, ref)).replace(/\/+$/, '');
  if (joined === '..' || joined.startsWith('../') || joined === '.' || joined === '') return undefined;
  return joined;
}

const covers = (dir: string, p: string): boolean => p === dir || p.startsWith(`${dir}/`);

/**
 * The environment's directory plus every local directory or file its kustomization pulls in,
 * recursively, as they are at `rev`. Minimal: a path inside another listed directory is dropped.
 */
export async function kustomizeSourcePaths(git: Git, rev: string, envPath: string): Promise<string[]> {
  const found = new Set<string>([envPath]);
  const visited = new Set<string>();
  const queue = [envPath];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (visited.has(dir)) continue;
    visited.add(dir);
    let text: string | undefined;
    for (const name of KUSTOMIZATION_FILES) {
      text = await fileText(git, rev, `${dir}/${name}`);
      if (text !== undefined) break;
    }
    if (text === undefined) continue; // a plain-YAML directory: the directory itself is the source
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch {
      continue;
    } // kustomize will report it when rendering
    for (const ref of referencedPaths(parsed)) {
      const target = resolveInRepo(dir, ref);
      if (target === undefined) continue;
      const type = await pathType(git, rev, target);
      if (type === 'missing') continue;
      found.add(target);
      if (type === 'tree') queue.push(target);
    }
  }
  const all = [...found].sort();
  return all.filter((p) => !all.some((other) => other !== p && covers(other, p)));
}
