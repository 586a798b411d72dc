/**
 * Edits YAML files in a checkout through the `yaml` Document API, so comments, key order, quoting
 * and blank lines survive: people review these commits during an incident, and a diff that
 * re-formats a file hides the one line that matters.
 *
 * Each file is written back in its own style (indent width, whether sequences are indented under
 * their key, padding inside flow collections), detected from its text, and never line-folded.
 */
import { realpath, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, visit, type Document, type Node, type Scalar } from 'yaml';

export interface YamlStyle {
  indent: number;
  indentSeq: boolean;
  flowCollectionPadding: boolean;
}

export interface YamlFile {
  /** Repo-relative path. */
  file: string;
  text: string;
  docs: Document.Parsed[];
  style: YamlStyle;
}

/** Thrown when a file cannot be read or edited as YAML; names the file. */
export class YamlEditError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'YamlEditError';
  }
}

/** Style of an existing file; defaults are the `yaml` package's own (2 spaces, indented sequences). */
export function detectStyle(text: string): YamlStyle {
  const lines = text.split('\n');
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  for (let i = 0; i + 1 < lines.length && (indent === undefined || indentSeq === undefined); i++) {
    const line = lines[i] as string;
    const key = /^(\s*)(?:- )?[^\s#-][^#]*:\s*(#.*)?$/.exec(line);
    if (!key) continue;
    const own = (key[1] ?? '').length + (line.trimStart().startsWith('- ') ? 2 : 0);
    const next = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    if (next === undefined) break;
    const nextIndent = next.length - next.trimStart().length;
    if (next.trimStart().startsWith('- ')) {
      if (indentSeq === undefined) indentSeq = nextIndent > own;
      if (indent === undefined && nextIndent > own) indent = nextIndent - own;
    } else if (indent === undefined && nextIndent > own) {
      indent = nextIndent - own;
    }
  }
  const padded = /[{[] \S/.test(text),
    tight = /[{[][^\s\]}]/.test(text.replace(/#.*$/gm, ''));
  return { indent: indent ?? 2, indentSeq: indentSeq ?? true, flowCollectionPadding: padded || !tight };
}

/** Resolves a repo-relative file inside `checkoutDir`, refusing escapes, also through symlinks. */
export async function repoFile(checkoutDir: string, rel: string): Promise<string> {
  const root = await realpath(checkoutDir);
  const abs = path.resolve(root, rel);
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);
  if (!inside(abs) || rel.split('/').includes('.git'))
    throw new YamlEditError(rel, 'is not a file inside the repository');
  const real = await realpath(abs).catch(() => abs);
  if (!inside(real)) throw new YamlEditError(rel, 'is a link to outside the repository');
  return real;
}

export async function readYamlFile(checkoutDir: string, rel: string): Promise<YamlFile> {
  const abs = await repoFile(checkoutDir, rel);
  const text = await readFile(abs, 'utf8').catch(() => {
    throw new YamlEditError(rel, 'cannot be read');
  });
  return yamlFromText(rel, text);
}

/** A file not written yet (or not read from disk): `text` parsed as `rel` would be. */
export function yamlFromText(rel: string, text: string): YamlFile {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { file: rel, text, docs: [], style: detectStyle(text) };
  const bad = docs.find((d) => d.errors.length > 0);
  if (bad) throw new YamlEditError(rel, `invalid YAML: ${bad.errors[0]?.message ?? 'parse error'}`);
  return { file: rel, text, docs, style: detectStyle(text) };
}

export function serializeYaml(f: YamlFile): string {
  return f.docs.map((d) => d.toString({ ...f.style, lineWidth: 0, minContentWidth: 0 })).join('');
}

export async function writeYamlFile(checkoutDir: string, f: YamlFile): Promise<void> {
  await writeFile(await repoFile(checkoutDir, f.file), serializeYaml(f));
}

/**
 * Strings a YAML 1.1 reader takes for something else. `yaml` writes YAML 1.2, where `on` is a
 * string, but Argo CD and kubectl read plain manifests with go-yaml v2 (YAML 1.1), where `on` is
 * `true`: an env value `FEATURE_X: on` would then be refused as a non-string.
 */
const YAML11_AMBIGUOUS =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|[-+]?[0-9_]+(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|0[0-7_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function quoteIfAmbiguous(s: Scalar): void {
  if (typeof s.value === 'string' && YAML11_AMBIGUOUS.test(s.value) && (s.type === undefined || s.type === 'PLAIN'))
    s.type = 'QUOTE_DOUBLE';
}

function makeNode(doc: Document, value: unknown): Node {
  const node = doc.createNode(value) as Node;
  if (isScalar(node)) quoteIfAmbiguous(node);
  else
    visit(node, {
      Scalar(key, s) {
        if (key === 'value' || typeof key === 'number') quoteIfAmbiguous(s);
      },
    });
  return node;
}

type YamlPath = Array<string | number>;

/** The JS value at `path`, or undefined. */
export function getAt(doc: Document, yamlPath: YamlPath): unknown {
  const node = yamlPath.length === 0 ? doc.contents : doc.getIn(yamlPath, true);
  if (node === undefined || node === null) return undefined;
  return isScalar(node) ? node.value : (node as { toJSON(): unknown }).toJSON();
}

/**
 * Sets `path` to `value`, creating intermediate maps (string keys) and sequences (number keys).
 * An existing scalar keeps its node, so its quoting and inline comment stay.
 */
export function setAt(doc: Document, yamlPath: YamlPath, value: unknown): void {
  if (yamlPath.length === 0) throw new Error('cannot replace a whole document');
  const existing = doc.getIn(yamlPath, true);
  if (isScalar(existing) && (value === null || typeof value !== 'object')) {
    existing.value = value;
    quoteIfAmbiguous(existing);
    return;
  }
  // Walk down, creating each missing collection, so no plain (unquoted-checked) nodes sneak in.
  let parent: unknown = doc.contents;
  for (let i = 0; i < yamlPath.length - 1; i++) {
    const key = yamlPath[i] as string | number;
    let child: unknown = isMap(parent) || isSeq(parent) ? parent.get(key, true) : undefined;
    if (child === undefined || child === null || (isScalar(child) && child.value === null)) {
      child = typeof yamlPath[i + 1] === 'number' ? doc.createNode([]) : doc.createNode({});
      setChild(parent, key, child, yamlPath);
    }
    parent = child;
  }
  setChild(parent, yamlPath[yamlPath.length - 1] as string | number, makeNode(doc, value), yamlPath);
}

function setChild(parent: unknown, key: string | number, child: unknown, full: YamlPath): void {
  if (isMap(parent) && typeof key === 'string') {
    parent.set(key, child);
    return;
  }
  if (isSeq(parent) && typeof key === 'number' && key <= parent.items.length) {
    parent.set(key, child);
    return;
  }
  throw new Error(
    `cannot set ${full.join('.')}: ${String(key)} is not a ${typeof key === 'number' ? 'list index' : 'map key'} there`,
  );
}

/** Deletes the key at `path` (no-op when absent). */
export function removeAt(doc: Document, yamlPath: YamlPath): void {
  if (doc.hasIn(yamlPath)) doc.deleteIn(yamlPath);
}
