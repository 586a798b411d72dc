/**
 * A real Kubernetes API server on loopback, run the way controller-runtime's envtest
 * runs it: etcd + kube-apiserver, no controllers and no kubelets. The sandbox GitOps
 * controller plays Argo CD / Flux and advances workload status on top of it.
 */
import * as k8s from '@kubernetes/client-node';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { requireKubeAssets, upstreamCrdDir } from './binaries.js';
import { b64, makeClusterCerts } from './certs.js';
import { startExecCredentials, type ExecCredentialOptions, type ExecCredentials } from './exec-credentials.js';
import { KubeRest } from '../../lib/kube/rest.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.js';

// src/sandbox/world → the checkout; compiled, dist/src/sandbox/world → dist/, whose parent is the checkout.
const REPO_ROOT = ((here) => (path.basename(here) === 'dist' ? path.dirname(here) : here))(
  fileURLToPath(new URL('../../..', import.meta.url)),
);
const OWN_CRDS = fileURLToPath(new URL('../crds/', import.meta.url));

/** An extra identity authenticated by bearer token (kube-apiserver --token-auth-file). */
export interface TokenUser {
  token: string;
  user: string;
  uid: string;
  groups?: string[];
}

export interface KubeWorldOptions {
  /** Scratch directory for etcd data, certificates, logs and the kubeconfig. */
  dir: string;
  tokenUsers?: TokenUser[];
  /** Install the upstream CRDs from ../shared/crds when present (default true). */
  upstreamCrds?: boolean;
  /** Install the CRDs in these directories instead (the real engines' own, from provisioning). */
  crdDirs?: string[];
  /**
   * An identity whose tokens expire: a kubeconfig user running an exec credential plugin, checked
   * by a TokenReview webhook in this process that refuses expired tokens (exec-credentials.ts).
   * Off by default.
   */
  execCredentials?: ExecCredentialOptions;
  /**
   * kube-apiserver --min-request-timeout: a watch without timeoutSeconds is closed after 1-2 times
   * this, so clients re-open it (with fresh credentials). @default 1800 (upstream)
   */
  watchTimeoutSeconds?: number;
}

export interface KubeWorld {
  server: string;
  kubeconfigPath: string;
  /** Admin (system:masters) client config. */
  kc: k8s.KubeConfig;
  /** Client config for a token user registered at start (or the exec credential user). */
  configFor(user: string): k8s.KubeConfig;
  /** Present when started with `execCredentials`. */
  execCredentials?: ExecCredentials;
  crdSource: 'upstream' | 'project' | 'engines';
  logDir: string;
  /**
   * Takes kube-apiserver away; etcd keeps running, so nothing stored is lost. SIGTERM closes the
   * port at once (new connections are refused) while open watches and requests drain for up to
   * `graceMs` (default 5000), then SIGKILL; `graceMs: 0` is a crash. Until `startApiServer()`,
   * clients see connection refused on `server`.
   */
  stopApiServer(opts?: { graceMs?: number }): Promise<void>;
  /**
   * Starts kube-apiserver again with the same flags on the same port; resolves once /readyz answers
   * 200. CRD paths may still answer 503 ("before all known HTTP paths have been installed") briefly.
   */
  startApiServer(opts?: { timeoutMs?: number }): Promise<void>;
  /** `stopApiServer()`, `downMs` of nothing listening, `startApiServer()`: an API server restart or outage. */
  restartApiServer(opts?: { downMs?: number; graceMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

async function ready(url: string, kc: k8s.KubeConfig): Promise<boolean> {
  const opts: { headers?: Record<string, string> } & Record<string, unknown> = {};
  await kc.applyToHTTPSOptions(opts as never);
  const https = await import('node:https');
  return new Promise((resolve) => {
    const req = https.get(`${url}/readyz`, opts as never, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

export async function startKube(opts: KubeWorldOptions): Promise<KubeWorld> {
  const assets = requireKubeAssets();
  const dir = path.resolve(opts.dir);
  const certDir = path.join(dir, 'pki'),
    logDir = path.join(dir, 'logs');
  await mkdir(certDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  const certs = await makeClusterCerts(certDir);

  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdArgs = [
    '--name',
    'rewind',
    '--data-dir',
    path.join(dir, 'etcd'),
    '--listen-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster',
    `rewind=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync',
    '--quota-backend-bytes',
    String(2 * 1024 ** 3),
  ];
  const etcd = startProcess('etcd', path.join(assets, 'etcd'), etcdArgs, path.join(logDir, 'etcd.log'));
  const procs: ManagedProcess[] = [etcd];
  let exec: ExecCredentials | undefined;
  const stopAll = async () => {
    for (const p of procs.reverse()) await p.stop();
    await exec?.stop();
  };
  try {
    await waitUntil('etcd', async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, 30_000, etcd);

    const tokenFile = path.join(dir, 'tokens.csv');
    await writeFile(
      tokenFile,
      `${(opts.tokenUsers ?? [])
        .map((u) => `${u.token},${u.user},${u.uid},"${(u.groups ?? []).join(',')}"`)
        .join('\n')}\n`,
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const apiArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${certs.serverCert}`,
      `--tls-private-key-file=${certs.serverKey}`,
      `--client-ca-file=${certs.caCert}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${certs.saPub}`,
      `--service-account-signing-key-file=${certs.saKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--disable-admission-plugins=ServiceAccount',
      `--token-auth-file=${tokenFile}`,
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
    ];
    if (opts.execCredentials) {
      exec = await startExecCredentials(dir, opts.execCredentials);
      apiArgs.push(...exec.apiserverArgs);
    }
    if (opts.watchTimeoutSeconds) apiArgs.push(`--min-request-timeout=${opts.watchTimeoutSeconds}`);
    // Restarts append to the same log, with a line saying so.
    const launchApiServer = () =>
      startProcess(
        'kube-apiserver',
        path.join(assets, 'kube-apiserver'),
        apiArgs,
        path.join(logDir, 'kube-apiserver.log'),
      );
    let apiserver = launchApiServer();
    procs.push(apiserver);

    const [caData, certData, keyData] = await Promise.all([
      b64(certs.caCert),
      b64(certs.adminCert),
      b64(certs.adminKey),
    ]);
    const cluster = { name: 'rewind-test', server, caData, skipTLSVerify: false };
    const users = [
      { name: 'admin', certData, keyData },
      ...(opts.tokenUsers ?? []).map((u) => ({ name: u.user, token: u.token })),
      ...(exec ? [exec.kubeconfigUser] : []),
    ];
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [users[0]!],
      contexts: [{ name: 'admin', cluster: cluster.name, user: 'admin' }],
      currentContext: 'admin',
    });
    const kubeconfigPath = path.join(dir, 'kubeconfig');
    const full = new k8s.KubeConfig();
    full.loadFromOptions({
      clusters: [cluster],
      users,
      contexts: users.map((u) => ({ name: u.name, cluster: cluster.name, user: u.name })),
      currentContext: 'admin',
    });
    await writeFile(kubeconfigPath, full.exportConfig(), { mode: 0o600 });

    await waitUntil('kube-apiserver', () => ready(server, kc), 60_000, apiserver);
    const crdSource = await installCrds(kc, opts.upstreamCrds ?? true, opts.crdDirs);
    const stopApiServer = async ({ graceMs = 5000 }: { graceMs?: number } = {}) => {
      await apiserver.stop(graceMs);
    };
    const startApiServer = async ({ timeoutMs = 60_000 }: { timeoutMs?: number } = {}) => {
      if (!apiserver.exited()) return;
      await appendFile(
        apiserver.logFile,
        `\n==== rewind world: kube-apiserver started again at ${new Date().toISOString()} ====\n`,
      );
      const next = launchApiServer();
      procs[procs.indexOf(apiserver)] = next;
      apiserver = next;
      await waitUntil('kube-apiserver (restarted)', () => ready(server, kc), timeoutMs, next);
    };
    return {
      server,
      kubeconfigPath,
      kc,
      crdSource,
      logDir,
      ...(exec ? { execCredentials: exec } : {}),
      stopApiServer,
      startApiServer,
      async restartApiServer({ downMs = 0, graceMs }: { downMs?: number; graceMs?: number } = {}) {
        await stopApiServer({ graceMs });
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        await startApiServer();
      },
      configFor(user) {
        const u = users.find((x) => x.name === user);
        if (!u) throw new Error(`no token user ${user} was registered at start`);
        const c = new k8s.KubeConfig();
        c.loadFromOptions({
          clusters: [cluster],
          users: [u],
          contexts: [{ name: user, cluster: cluster.name, user }],
          currentContext: user,
        });
        return c;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function crdFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f) && f !== 'README.md').map((f) => path.join(dir, f));
}

/** Creates the Argo CD and Flux CRDs (upstream when available) and waits until each is Established. */
async function installCrds(
  kc: k8s.KubeConfig,
  preferUpstream: boolean,
  dirs?: string[],
): Promise<KubeWorld['crdSource']> {
  const upstream = preferUpstream ? upstreamCrdDir(REPO_ROOT) : undefined;
  const files = dirs ? (await Promise.all(dirs.map(crdFiles))).flat() : await crdFiles(upstream ?? OWN_CRDS);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const rest = await KubeRest.create(kc);
  const names: string[] = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(await readFile(file, 'utf8'))) {
      const raw = doc.toJS() as { kind?: string } | null;
      if (raw?.kind !== 'CustomResourceDefinition') continue;
      const crd = raw as k8s.V1CustomResourceDefinition;
      // Created raw (the typed serializer drops x-kubernetes-* keys), and created rather than
      // client-side applied: the upstream Application CRD is ~400 KB, too big for last-applied.
      await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
      names.push(crd.metadata!.name!);
    }
  }
  rest.close();
  for (const name of names) {
    await waitUntil(
      `CRD ${name} Established`,
      async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
      },
      30_000,
    );
  }
  return dirs ? 'engines' : upstream ? 'upstream' : 'project';
}

export { REPO_ROOT };
