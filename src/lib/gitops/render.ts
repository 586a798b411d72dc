/**
 * Renders the desired objects of one app from a checked-out revision, the way both engines do:
 * a path with a kustomization file goes through the real `kustomize build` (Argo's Kustomize
 * source, Flux's kustomize-controller); any other directory is read as plain manifests, every
 * `*.yaml|*.yml|*.json` file recursively in sorted order (Argo's Directory source with recurse,
 * Flux's generated kustomization).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { requireKustomize } from '../tools/binaries.js';

const run = promisify(execFile);

/** A Kubernetes object as rendered or read live: the fields every object has, the rest left open. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** Which source type rendered the path (Argo's `status.sourceType`). */
export type SourceType = 'Kustomize' | 'Directory';

/** Thrown when a path cannot be rendered; names the path and carries the tool's own output. */
export class RenderError extends Error {
  constructor(
    message: string,
    readonly relPath: string,
    readonly toolOutput?: string,
  ) {
    super(toolOutput ? `${message}\n${toolOutput}` : message);
    this.name = 'RenderError';
  }
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Identity of an object across versions: `group/Kind/namespace/name` (namespace empty when cluster-scoped). */
export function objectKey(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Which renderer `relPath` selects, without rendering it. */
export async function sourceTypeOf(dir: string, relPath: string): Promise<SourceType> {
  return (await kustomizationFile(resolveInside(dir, relPath, relPath))) ? 'Kustomize' : 'Directory';
}

export interface RenderOptions {
  /** Path of the kustomize binary; default: `requireKustomize()` (REWIND_KUSTOMIZE_PATH, rewind's cache, then PATH). */
  kustomize?: string;
}

export async function renderManifests(dir: string, relPath: string, opts: RenderOptions = {}): Promise<KubeObject[]> {
  const target = resolveInside(dir, relPath, relPath);
  const info = await stat(target).catch(() => undefined);
  if (!info?.isDirectory())
    throw new RenderError(`app path ${relPath} does not exist in the revision (or is not a directory)`, relPath);
  if (await kustomizationFile(target)) return kustomizeBuild(opts.kustomize ?? requireKustomize(), target, relPath);
  const objects: KubeObject[] = [];
  for (const file of await manifestFiles(target)) {
    objects.push(...parseManifests(await readFile(file, 'utf8'), `${relPath}/${path.relative(target, file)}`));
  }
  return objects;
}

/** Parses a multi-document YAML (or JSON) stream; empty documents are skipped, anything else must be an object. */
export function parseManifests(text: string, where: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new RenderError(`${where}: invalid YAML: ${doc.errors[0]!.message}`, where);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (Array.isArray(value) || typeof value !== 'object')
      throw new RenderError(`${where}: a document is not a Kubernetes object`, where);
    const o = value as Partial<KubeObject>;
    // A `kind: List` (as `kubectl get -o yaml` writes) holds its objects under items.
    if (o.kind === 'List' && Array.isArray(o['items'])) {
      out.push(...(o['items'] as unknown[]).map((item) => checkObject(item, where)));
      continue;
    }
    out.push(checkObject(o, where));
  }
  return out;
}

function checkObject(value: unknown, where: string): KubeObject {
  const o = value as Partial<KubeObject> | null;
  if (
    !o ||
    typeof o.apiVersion !== 'string' ||
    typeof o.kind !== 'string' ||
    typeof o.metadata?.name !== 'string' ||
    o.metadata.name === ''
  ) {
    throw new RenderError(`${where}: an object lacks apiVersion, kind or metadata.name`, where);
  }
  return o as KubeObject;
}

/** Resolves `relPath` under `root`, refusing anything that escapes it (`..`, absolute paths). */
function resolveInside(root: string, relPath: string, what: string): string {
  const base = path.resolve(root);
  const target = path.resolve(base, relPath.replace(/^\/+/, ''));
  if (target !== base && !target.startsWith(base + path.sep))
    throw new RenderError(`app path ${what} points outside the repository`, what);
  return target;
}

async function kustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if ((await stat(file).catch(() => undefined))?.isFile()) return file;
  }
  return undefined;
}

async function kustomizeBuild(kustomize: string, target: string, relPath: string): Promise<KubeObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(kustomize, ['build', target], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new RenderError(`kustomize build ${relPath} failed`, relPath, (e.stderr ?? '').trim() || e.message);
  }
  return parseManifests(stdout, `kustomize build ${relPath}`);
}

/**
 * Every manifest file below `dir`, depth first, sorted by name at each level; dot-entries are skipped like Argo does.
 */
async function manifestFiles(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await manifestFiles(full)));
    else if (e.isFile() && /\.(ya?ml|json)$/.test(e.name)) files.push(full);
  }
  return files;
}
