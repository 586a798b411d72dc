/**
 * Lookups by a name someone typed. A plain `record[name]` also finds what every object inherits
 * (`constructor`, `toString`, `__proto__`…), so an app called "constructor" would resolve to a
 * function. Every lookup of a user-typed name in rewind.yaml's maps goes through here: own keys
 * only, so such a name is unknown like any other.
 */

/** The value stored under `key` itself, never one inherited from Object.prototype. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** True when `key` is one of the record's own keys. */
export const hasOwnKey = (record: Readonly<Record<string, unknown>>, key: string): boolean =>
  Object.hasOwn(record, key);
