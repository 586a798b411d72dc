/**
 * Where the real GitOps engines of the test world come from: Flux's source- and
 * kustomize-controller, Argo CD's slim multi-call binary (application-controller, repo-server,
 * git-ask-pass by argv[0]) and Debian's redis-server. Each lookup goes: explicit env variable,
 * then rewind's cache (filled by `npm run provision`, from a verified prebuilt copy or built from
 * Go modules by scripts/provision-engines.sh). The engines' own CRDs are cached beside them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, executable, MissingBinaryError } from '../../lib/tools/binaries.js';

export const FLUX_VERSION = process.env.REWIND_FLUX_VERSION ?? 'v1.9.6';
export const ARGOCD_VERSION = process.env.REWIND_ARGOCD_VERSION ?? 'v3.6.1';

const PROVISION_HINT =
  'Run `npm run provision` (it takes a verified prebuilt copy or ' +
  'builds the engines from Go modules, ~25 min cold on 2 cores).';

export function fluxDir(): string {
  return path.join(cacheDir(), 'engines', 'flux', FLUX_VERSION);
}
export function argoDir(): string {
  return path.join(cacheDir(), 'engines', 'argocd', ARGOCD_VERSION);
}

export interface FluxBinaries {
  sourceController: string;
  kustomizeController: string;
  crdDir: string;
}
export interface ArgoBinaries {
  /**
   * The directory holding argocd-application-controller, argocd-repo-server and argocd-git-ask-pass (put it on PATH).
   */
  binDir: string;
  applicationController: string;
  repoServer: string;
  /** Upstream `hack/git-verify-wrapper.sh`: the repo-server runs it from PATH for every git call. */
  gitVerifyWrapper: string;
  crdDir: string;
}

function envBinary(name: string): string | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  if (!executable(v)) throw new MissingBinaryError(path.basename(v), `${name}=${v} is not executable.`);
  return v;
}

function crdsIn(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.yaml'));
  } catch {
    return false;
  }
}

/**
 * Flux controllers: REWIND_FLUX_SOURCE_CONTROLLER / REWIND_FLUX_KUSTOMIZE_CONTROLLER
 * (+ REWIND_FLUX_CRDS), then the cache.
 */
export function findFlux(): FluxBinaries | undefined {
  const dir = fluxDir();
  const sourceController = envBinary('REWIND_FLUX_SOURCE_CONTROLLER') ?? path.join(dir, 'source-controller');
  const kustomizeController = envBinary('REWIND_FLUX_KUSTOMIZE_CONTROLLER') ?? path.join(dir, 'kustomize-controller');
  const crdDir = process.env.REWIND_FLUX_CRDS ?? path.join(dir, 'crds');
  return executable(sourceController) && executable(kustomizeController) && crdsIn(crdDir)
    ? { sourceController, kustomizeController, crdDir }
    : undefined;
}

/**
 * Argo CD: REWIND_ARGOCD_BIN_DIR (a directory with the three commands and
 * git-verify-wrapper.sh, + REWIND_ARGOCD_CRDS), then the cache.
 */
export function findArgo(): ArgoBinaries | undefined {
  const binDir = process.env.REWIND_ARGOCD_BIN_DIR ?? argoDir();
  const crdDir = process.env.REWIND_ARGOCD_CRDS ?? path.join(argoDir(), 'crds');
  const found: ArgoBinaries = {
    binDir,
    crdDir,
    applicationController: path.join(binDir, 'argocd-application-controller'),
    repoServer: path.join(binDir, 'argocd-repo-server'),
    gitVerifyWrapper: path.join(binDir, 'git-verify-wrapper.sh'),
  };
  const ok =
    [
      found.applicationController,
      found.repoServer,
      path.join(binDir, 'argocd-git-ask-pass'),
      found.gitVerifyWrapper,
    ].every(executable) && crdsIn(crdDir);
  return ok ? found : undefined;
}

/** redis-server for Argo CD's cache: REWIND_REDIS_SERVER, then PATH (Debian's redis-server). */
export function findRedis(): string | undefined {
  const env = envBinary('REWIND_REDIS_SERVER');
  if (env) return env;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin'])) {
    const candidate = path.join(dir, 'redis-server');
    if (dir && executable(candidate)) return candidate;
  }
  return undefined;
}

export function requireFlux(): FluxBinaries {
  const found = findFlux();
  if (!found)
    throw new MissingBinaryError(
      `Flux ${FLUX_VERSION} controllers`,
      `${PROVISION_HINT} Or set REWIND_FLUX_SOURCE_CONTROLLER, REWIND_FLUX_KUSTOMIZE_CONTROLLER and REWIND_FLUX_CRDS.`,
    );
  return found;
}

export function requireArgo(): ArgoBinaries {
  const found = findArgo();
  if (!found)
    throw new MissingBinaryError(
      `Argo CD ${ARGOCD_VERSION}`,
      `${PROVISION_HINT} Or set REWIND_ARGOCD_BIN_DIR and REWIND_ARGOCD_CRDS.`,
    );
  return found;
}

export function requireRedis(): string {
  const found = findRedis();
  if (!found)
    throw new MissingBinaryError(
      'redis-server',
      'Argo CD needs it: apt-get install redis-server (npm run ' +
        'provision does this as root), or set REWIND_REDIS_SERVER.',
    );
  return found;
}

/** Whether everything the real engines need is present (the sandbox falls back to the stand-in otherwise). */
export function realEnginesAvailable(): boolean {
  try {
    return !!(findFlux() && findArgo() && findRedis());
  } catch {
    return false;
  }
}
