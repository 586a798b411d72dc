/**
 * What rewind accepts as a commit sha: lowercase hex, as git prints it. A full sha has 40 digits
 * (what git resolves to and what rewind records); a prefix has 7 to 40 (what a person may type,
 * `--to 3f2a9c1`). Pure and dependency-free, so any layer may use it.
 */

/** A full (40 hex digit) commit sha. */
export const FULL_SHA = /^[0-9a-f]{40}$/;
/** A commit sha or an abbreviation of one: 7 to 40 hex digits. */
export const SHA_PREFIX = /^[0-9a-f]{7,40}$/;

export const isFullSha = (value: string): boolean => FULL_SHA.test(value);
export const isShaPrefix = (value: string): boolean => SHA_PREFIX.test(value);

/**
 * The commit an engine's revision names: Argo CD reports the bare sha, Flux `main@sha1:<sha>`
 * (older APIs `main/<sha>`). Undefined when the revision ends in no full sha.
 */
export function shaOfRevision(revision: string | undefined): string | undefined {
  return revision ? /(?:^|[:@/])([0-9a-f]{40})$/.exec(revision)?.[1] : undefined;
}
