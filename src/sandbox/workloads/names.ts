/**
 * Names and times as Kubernetes writes them: the pod-template hash that names a ReplicaSet,
 * the random-looking suffix of a pod name, and `metav1.Time`. Deterministic (a hash of the
 * input), so tests can name pods.
 */
import { createHash } from 'node:crypto';

/** The alphabet of `rand.SafeEncodeString`: no vowels, no confusable digits. */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeChars(input: string, n: number): string {
  const digest = createHash('sha256').update(input).digest();
  return Array.from(digest.subarray(0, n), (b) => SAFE[b % SAFE.length]).join('');
}

/** JSON with object keys sorted, so equal templates hash equally whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Like the `pod-template-hash` label: 10 characters of the safe alphabet, equal for equal templates. */
export function templateHash(template: unknown): string {
  return safeChars(canonical(template ?? {}), 10);
}

/** `<owner>-<5 chars>`, as the ReplicaSet and Job controllers name pods (generateName). */
export function podName(owner: string, seq: number): string {
  return `${owner}-${safeChars(`${owner}/${seq}`, 5)}`;
}

/** Kubernetes `metav1.Time`: RFC 3339 in UTC, whole seconds. */
export function metaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
