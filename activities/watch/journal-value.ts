/**
 * What the journal keeps of a field value. It lives in workflow history, queries and Slack
 * messages, so a Secret's data never goes there: only a short digest that says "it changed" and
 * lets two values be compared. Long values are cut so one big ConfigMap key cannot crowd out the
 * journal.
 */
import { createHash } from 'node:crypto';

/** Values longer than this (strings, or other values as JSON) are cut, with a marker saying how long they were. */
export const MAX_VALUE_CHARS = 512;

/** True for the fields of `kind` whose values are secret: a Secret's data and stringData. */
export function isSecretField(kind: string, segments: readonly string[]): boolean {
  return kind === 'Secret' && (segments[0] === 'data' || segments[0] === 'stringData');
}

/**
 * `(secret value, sha256 <first 8 hex>)`. The digest is of the secret bytes (data is base64
 * decoded, stringData taken as is), so the same value reads the same either way.
 */
export function secretDigest(segments: readonly string[], value: unknown): string {
  const bytes =
    typeof value === 'string'
      ? segments[0] === 'data'
        ? Buffer.from(value, 'base64')
        : Buffer.from(value, 'utf8')
      : Buffer.from(JSON.stringify(value) ?? '', 'utf8');
  return `(secret value, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 8)})`;
}

export function truncated(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length <= MAX_VALUE_CHARS) return value;
  return `${text.slice(0, MAX_VALUE_CHARS)}… (truncated, ${text.length} chars)`;
}

/** The value as the journal may hold it. `undefined` (the field did not exist) stays undefined. */
export function journalValue(kind: string, segments: readonly string[], value: unknown): unknown {
  if (value === undefined) return undefined;
  return isSecretField(kind, segments) ? secretDigest(segments, value) : truncated(value);
}
