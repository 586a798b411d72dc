/**
 * Real Argo CD in the test world: Debian's redis-server, the repo-server and the application
 * controller (one slim multi-call binary, see engine-binaries.ts), all on loopback. The
 * controller runs in a private network namespace (netns.ts) because its metrics server binds
 * 0.0.0.0 whatever it is told. `ARGOCD_FAKE_IN_CLUSTER` makes `https://kubernetes.default.svc`
 * mean the kubeconfig's cluster, so Applications look exactly as they do in a real install.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { KubeRest, isConflict } from '../../lib/kube/rest.js';
import { requireKustomize } from '../../lib/tools/binaries.js';
import { requireArgo, requireRedis } from './engine-binaries.js';
import { netnsSupport, startIsolated } from './netns.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.js';

export const ARGO_NAMESPACE = 'argocd';

export interface ArgoCdOptions {
  kc: KubeConfig;
  kubeconfigPath: string;
  dir: string;
  /**
   * `--app-resync`: how often the controller compares every app with Git without being asked.
   * Upstream's default is 120 s plus up to 60 s of jitter; the world keeps jitter off so a poll
   * interval is one number. (`timeout.reconciliation` in argocd-cm does nothing for the bare
   * binary: upstream's manifests pass it to this flag through an environment variable.)
   * @default 120
   */
  resyncSeconds?: number;
  /** `--self-heal-timeout-seconds`: least time between self-heal syncs. @default 5 (upstream's) */
  selfHealTimeoutSeconds?: number;
}

export interface ArgoCd {
  namespace: string;
  resyncSeconds: number;
  redisPort: number;
  repoServerPort: number;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

const PART_OF = { 'app.kubernetes.io/part-of': 'argocd' };

/** What the controller reads before the first Application: its settings, RBAC and secret. */
async function seedSettings(kc: KubeConfig): Promise<void> {
  const rest = await KubeRest.create(kc);
  const create = async (collection: string, body: object) => {
    try {
      await rest.request('POST', collection, { body });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  };
  try {
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGO_NAMESPACE } });
    const ns = `/api/v1/namespaces/${ARGO_NAMESPACE}`;
    await create(`${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', labels: { ...PART_OF, 'app.kubernetes.io/name': 'argocd-cm' } },
      data: {},
    });
    await create(`${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-rbac-cm', labels: { ...PART_OF, 'app.kubernetes.io/name': 'argocd-rbac-cm' } },
      data: {},
    });
    await create(`${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', labels: { ...PART_OF, 'app.kubernetes.io/name': 'argocd-secret' } },
      type: 'Opaque',
      data: {},
    });
  } finally {
    rest.close();
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startArgoCd(opts: ArgoCdOptions): Promise<ArgoCd> {
  const bins = requireArgo();
  const redisBin = requireRedis();
  const kustomize = requireKustomize();
  const support = await netnsSupport();
  if (!support.ok)
    throw new Error(
      `Argo CD's application controller would listen beyond loopback (its metrics server ` +
        `binds 0.0.0.0): ${support.why}. Use the stand-in engines instead (engines: 'standin').`,
    );
  const dir = path.resolve(opts.dir);
  const tmp = path.join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const resyncSeconds = opts.resyncSeconds ?? 120;
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of procs.splice(0).reverse()) await p.stop();
  };
  try {
    await seedSettings(opts.kc);
    const [repoServerPort, repoMetricsPort] = [await freePort(), await freePort()];
    // A free port can be taken by another process of the world starting beside this one before
    // redis binds it: redis then exits at once ("Address already in use"); try a fresh port.
    let redisPort = 0;
    for (let attempt = 1; ; attempt++) {
      redisPort = await freePort();
      const redis = startProcess(
        'redis',
        redisBin,
        [
          '--bind',
          '127.0.0.1',
          '--port',
          String(redisPort),
          '--save',
          '',
          '--appendonly',
          'no',
          '--protected-mode',
          'yes',
          '--dir',
          tmp,
        ],
        path.join(dir, 'redis.log'),
      );
      procs.push(redis);
      try {
        await waitUntil('redis', () => tcpOpen(redisPort), 15_000, redis);
        break;
      } catch (err) {
        if (attempt >= 3 || !redis.exited()) throw err;
        procs.splice(procs.indexOf(redis), 1);
      }
    }

    const env: NodeJS.ProcessEnv = {
      PATH: [bins.binDir, path.dirname(kustomize), process.env.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
      HOME: dir,
      TMPDIR: tmp,
      KUBECONFIG: opts.kubeconfigPath,
      ARGOCD_FAKE_IN_CLUSTER: 'true',
      ARGOCD_GPG_ENABLED: 'false',
    };
    const repo = startProcess(
      'argocd-repo-server',
      bins.repoServer,
      [
        '--address',
        '127.0.0.1',
        '--port',
        String(repoServerPort),
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        String(repoMetricsPort),
        '--disable-tls',
        '--client-ca-path=',
        '--redis',
        `127.0.0.1:${redisPort}`,
        '--logformat',
        'text',
        '--loglevel',
        'info',
      ],
      path.join(dir, 'argocd-repo-server.log'),
      env,
    );
    procs.push(repo);
    await waitUntil(
      'argocd-repo-server',
      async () => (await fetch(`http://127.0.0.1:${repoMetricsPort}/healthz`)).ok,
      60_000,
      repo,
    );

    const apiPort = Number(new URL(opts.kc.getCurrentCluster()!.server).port);
    const controller = await startIsolated({
      name: 'argocd-application-controller',
      file: bins.applicationController,
      dir,
      env,
      forwards: [apiPort, redisPort, repoServerPort],
      args: [
        '--namespace',
        ARGO_NAMESPACE,
        '--kubeconfig',
        opts.kubeconfigPath,
        '--repo-server',
        `127.0.0.1:${repoServerPort}`,
        '--repo-server-plaintext',
        '--redis',
        `127.0.0.1:${redisPort}`,
        '--metrics-port',
        '8082',
        '--app-resync',
        String(resyncSeconds),
        '--app-resync-jitter',
        '0',
        '--self-heal-timeout-seconds',
        String(opts.selfHealTimeoutSeconds ?? 5),
        '--logformat',
        'text',
        '--loglevel',
        'info',
      ],
    });
    procs.push(controller);
    return { namespace: ARGO_NAMESPACE, resyncSeconds, redisPort, repoServerPort, processes: [...procs], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
