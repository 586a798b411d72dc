/**
 * Real Flux in the test world: source-controller (clones GitRepositories over the world's git
 * smart-HTTP server and serves artifacts on loopback) and kustomize-controller (builds and
 * applies them). Neither takes a --kubeconfig flag: KUBECONFIG and RUNTIME_NAMESPACE say where.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { requireFlux } from './engine-binaries.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.js';

export const FLUX_NAMESPACE = 'flux-system';

export interface FluxOptions {
  kubeconfigPath: string;
  dir: string;
}

export interface Flux {
  namespace: string;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

const healthy = (port: number) => async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;

export async function startFlux(opts: FluxOptions): Promise<Flux> {
  const bins = requireFlux();
  const dir = path.resolve(opts.dir);
  const storage = path.join(dir, 'artifacts');
  await mkdir(storage, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TMPDIR: dir,
    KUBECONFIG: opts.kubeconfigPath,
    RUNTIME_NAMESPACE: FLUX_NAMESPACE,
  };
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of procs.splice(0).reverse()) await p.stop();
  };
  const common = async () => {
    const [metrics, health] = [await freePort(), await freePort()];
    return {
      health,
      args: [
        '--enable-leader-election=false',
        `--metrics-addr=127.0.0.1:${metrics}`,
        `--health-addr=127.0.0.1:${health}`,
        '--log-level=info',
        '--log-encoding=console',
      ],
    };
  };
  try {
    const src = await common();
    const storagePort = await freePort();
    const source = startProcess(
      'flux-source-controller',
      bins.sourceController,
      [
        ...src.args,
        `--storage-path=${storage}`,
        `--storage-addr=127.0.0.1:${storagePort}`,
        `--storage-adv-addr=127.0.0.1:${storagePort}`,
      ],
      path.join(dir, 'source-controller.log'),
      env,
    );
    procs.push(source);
    const ks = await common();
    const kustomize = startProcess(
      'flux-kustomize-controller',
      bins.kustomizeController,
      ks.args,
      path.join(dir, 'kustomize-controller.log'),
      env,
    );
    procs.push(kustomize);
    await waitUntil('flux source-controller', healthy(src.health), 60_000, source);
    await waitUntil('flux kustomize-controller', healthy(ks.health), 60_000, kustomize);
    return { namespace: FLUX_NAMESPACE, processes: [...procs], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
