/**
 * The leaf fields that differ between two versions of one live object: what a person or a sync
 * changed. Only what a write means is compared: spec, data and the other top-level content,
 * labels, and annotations other than controllers' bookkeeping. Status, resourceVersion,
 * generation and managedFields change on every write and say nothing about who changed what.
 */
import { isDeepStrictEqual } from 'node:util';

export interface FieldChange {
  /** JSON pointer (RFC 6901), e.g. `/data/DB_HOST`, `/metadata/labels/app.kubernetes.io~1name`. */
  path: string;
  /** The same path unescaped, one entry per step; array steps are indices as strings. */
  segments: string[];
  before: unknown;
  after: unknown;
}

/**
 * Annotations written by controllers and tools as bookkeeping, not as intent: a change to one of
 * them is neither a live edit nor a sync overwrite worth a journal entry.
 */
export const BOOKKEEPING_ANNOTATIONS: ReadonlySet<string> = new Set([
  // kubectl apply (and Argo CD's client-side apply) keep the last applied manifest here; it can hold Secret data.
  'kubectl.kubernetes.io/last-applied-configuration',
  // The Deployment/DaemonSet controllers count rollouts here.
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.daemonset.template.generation',
  // Requests to the engines to look at Git now (set by people and rewind, removed by Argo CD).
  'argocd.argoproj.io/refresh',
  'argocd.argoproj.io/hydrate',
  'reconcile.fluxcd.io/requestedAt',
  'reconcile.fluxcd.io/forceAt',
  // rewind's own pause lease on the engine object (the pause itself shows as a spec change).
  'rewind.dev/pause-lease',
]);

/**
 * Top-level fields never compared: status and the server's bookkeeping. `operation` is Argo CD's
 * sync request, removed by the controller.
 */
const SKIPPED_TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'status', 'operation']);

export const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');
export const toPointer = (segments: readonly string[]): string => segments.map((s) => `/${escapePointer(s)}`).join('');

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The changed leaf fields between two versions of one object, in a stable order. */
export function changedFields(prev: unknown, next: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  const a = isMap(prev) ? prev : {},
    b = isMap(next) ? next : {};
  for (const key of unionKeys(a, b)) {
    if (!SKIPPED_TOP_LEVEL.has(key)) walk(a[key], b[key], [key], out);
  }
  const am = isMap(a.metadata) ? a.metadata : {},
    bm = isMap(b.metadata) ? b.metadata : {};
  walk(am.labels, bm.labels, ['metadata', 'labels'], out);
  walk(meaningfulAnnotations(am.annotations), meaningfulAnnotations(bm.annotations), ['metadata', 'annotations'], out);
  return out;
}

function meaningfulAnnotations(v: unknown): Json | undefined {
  if (!isMap(v)) return undefined;
  const kept = Object.entries(v).filter(([k]) => !BOOKKEEPING_ANNOTATIONS.has(k));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

function unionKeys(a: Json, b: Json): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function walk(a: unknown, b: unknown, segments: string[], out: FieldChange[]): void {
  if (isDeepStrictEqual(a, b)) return;
  // A map that appears or disappears as a whole is recorded key by key, so a Secret key, a
  // label or a ConfigMap key always has its own path.
  if ((isMap(a) || a === undefined) && (isMap(b) || b === undefined) && (a !== undefined || b !== undefined)) {
    const am = a ?? {},
      bm = b ?? {};
    const keys = unionKeys(am, bm);
    if (keys.length) {
      for (const k of keys) walk(am[k], bm[k], [...segments, k], out);
      return;
    }
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    walkList(a, b, segments, out);
    return;
  }
  out.push({ path: toPointer(segments), segments, before: a, after: b });
}

/**
 * Lists of named maps (containers, env, ports, volumes) are matched by name, so inserting one env
 * entry is one change, not a shift of every later entry; other lists are compared by index. The
 * path uses the index in the newer version (the older one for a removed entry).
 */
function walkList(a: unknown[], b: unknown[], segments: string[], out: FieldChange[]): void {
  const names = (l: unknown[]) => l.map((x) => (isMap(x) && typeof x.name === 'string' ? x.name : undefined));
  const an = names(a),
    bn = names(b);
  const byName =
    an.every((n) => n !== undefined) &&
    bn.every((n) => n !== undefined) &&
    new Set(an).size === an.length &&
    new Set(bn).size === bn.length;
  if (!byName) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...segments, String(i)], out);
    return;
  }
  for (const [i, name] of bn.entries()) {
    const j = an.indexOf(name);
    walk(j >= 0 ? a[j] : undefined, b[i], [...segments, String(i)], out);
  }
  for (const [j, name] of an.entries()) {
    if (!bn.includes(name)) walk(a[j], undefined, [...segments, String(j)], out);
  }
}
