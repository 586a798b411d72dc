/**
 * Where rewind's outside programs come from, and rewind's cache directory. Production needs
 * two things from here: the cache directory (clones, the worker's data, timelines) and the
 * kustomize binary (rendering kustomizations). The test world's programs (Temporal dev server,
 * kube-apiserver/etcd, the GitOps engines, Prometheus) are looked up in src/sandbox/world/,
 * with the helpers exported here.
 *
 * Each lookup goes: explicit env variable, then PATH, then rewind's cache (filled by
 * `npm run provision`, outside the tracked tree). When nothing is found the error says
 * exactly how to get it.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const KUSTOMIZE_VERSION = process.env.REWIND_KUSTOMIZE_VERSION ?? 'v5.8.0';

/** REWIND_CACHE_DIR, else ~/.cache/rewind. */
export function cacheDir(): string {
  return process.env.REWIND_CACHE_DIR ?? path.join(homedir(), '.cache', 'rewind');
}

/** Whether `p` names a file this process may execute. */
export function executable(p: string | undefined): p is string {
  if (!p) return false;
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in a PATH directory. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && executable(candidate)) return candidate;
  }
  return undefined;
}

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly hint: string,
  ) {
    super(`${binary} not found. ${hint}`);
    this.name = 'MissingBinaryError';
  }
}

export const PROVISION_HINT =
  'Run `npm run provision` (it installs or builds it into the cache and prints what it did).';

/** REWIND_KUSTOMIZE_PATH (when executable), then the cache, then PATH. */
export function findKustomize(): string | undefined {
  const env = process.env.REWIND_KUSTOMIZE_PATH;
  if (env && executable(env)) return env;
  return (
    [path.join(cacheDir(), 'tools', KUSTOMIZE_VERSION, 'kustomize'), path.join(cacheDir(), 'tools', 'kustomize')].find(
      executable,
    ) ?? onPath('kustomize')
  );
}

export function requireKustomize(): string {
  const found = findKustomize();
  if (!found) throw new MissingBinaryError('kustomize', PROVISION_HINT);
  return found;
}
