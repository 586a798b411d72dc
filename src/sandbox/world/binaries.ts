/**
 * Where the test world's programs come from: the Temporal dev and test servers, kube-apiserver
 * and etcd, and upstream CRDs. Each lookup goes: explicit env variable, then PATH, then rewind's
 * cache (filled by `npm run provision`, outside the tracked tree). When nothing is found the
 * error says exactly how to get it. The cache directory, kustomize and the lookup helpers live in
 * src/lib/tools/binaries.ts, which production code uses too.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, executable, MissingBinaryError, onPath, PROVISION_HINT } from '../../lib/tools/binaries.js';

export const K8S_VERSION = process.env.REWIND_K8S_VERSION ?? 'v1.34.4';

export function temporalVenv(): string {
  return path.join(cacheDir(), 'temporal-venv');
}

/** The `temporal` CLI (dev server): TEMPORAL_CLI_PATH, PATH, then the private venv. */
export function findTemporalCli(): string | undefined {
  const env = process.env.TEMPORAL_CLI_PATH;
  if (env) {
    if (executable(env)) return env;
    throw new MissingBinaryError('temporal', `TEMPORAL_CLI_PATH=${env} is not executable.`);
  }
  return onPath('temporal') ?? [path.join(temporalVenv(), 'bin', 'temporal')].find(executable);
}

/** The Java-free time-skipping test server: TEMPORAL_TEST_SERVER_PATH, PATH, then the private venv. */
export function findTemporalTestServer(): string | undefined {
  const env = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (env) {
    if (executable(env)) return env;
    throw new MissingBinaryError('temporal-test-server', `TEMPORAL_TEST_SERVER_PATH=${env} is not executable.`);
  }
  return onPath('temporal-test-server') ?? [path.join(temporalVenv(), 'bin', 'temporal-test-server')].find(executable);
}

export function k8sCacheDir(): string {
  return path.join(cacheDir(), 'k8s', K8S_VERSION);
}

/** A directory holding kube-apiserver and etcd: KUBEBUILDER_ASSETS (envtest's convention) first, then the cache. */
export function findKubeAssets(): { dir: string; source: 'KUBEBUILDER_ASSETS' | 'cache' } | undefined {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    if (executable(path.join(assets, 'kube-apiserver')) && executable(path.join(assets, 'etcd')))
      return { dir: assets, source: 'KUBEBUILDER_ASSETS' };
    throw new MissingBinaryError(
      'kube-apiserver/etcd',
      `KUBEBUILDER_ASSETS=${assets} must hold executable kube-apiserver and etcd.`,
    );
  }
  const dir = k8sCacheDir();
  if (executable(path.join(dir, 'kube-apiserver')) && executable(path.join(dir, 'etcd')))
    return { dir, source: 'cache' };
  return undefined;
}

export function requireKubeAssets(): string {
  const found = findKubeAssets();
  if (!found)
    throw new MissingBinaryError(
      'kube-apiserver/etcd',
      `${PROVISION_HINT} Or set KUBEBUILDER_ASSETS to a directory with both (e.g. from setup-envtest).`,
    );
  return found.dir;
}

export function requireTemporalCli(): string {
  const found = findTemporalCli();
  if (!found) throw new MissingBinaryError('temporal', `${PROVISION_HINT} Or set TEMPORAL_CLI_PATH.`);
  return found;
}

/** Upstream Argo CD / Flux CRDs shipped beside the repo for compatibility runs, when present. */
export function upstreamCrdDir(repoRoot: string): string | undefined {
  const explicit = process.env.REWIND_UPSTREAM_CRDS;
  if (explicit === '' || explicit === 'off') return undefined;
  const dir = explicit ?? path.resolve(repoRoot, '..', 'shared', 'crds');
  return existsSync(dir) ? dir : undefined;
}
