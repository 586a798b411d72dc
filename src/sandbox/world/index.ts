/**
 * The whole loopback world in one call, for tests and for `npm start`: a real kube-apiserver,
 * a real Temporal server, a real seeded config repo, the Slack Web API stand-in, and the
 * sandbox GitOps controller reconciling the seeded apps. `stop()` tears everything down,
 * in reverse order, and is safe to call after a partial start.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RewindConfig } from '../../config/schema.js';
import type { Rewind } from '../../runs.js';
import { createWorker } from '../../worker.js';
import { clustersFromConfig } from '../../kube/clusters.js';
import { GitSourceCache } from '../../gitops/git-source.js';
import { bootstrapSandboxApps } from '../bootstrap.js';
import { startSandboxController } from '../controller/index.js';
import type { FaultRule, SandboxController } from '../controller/types.js';
import { seedConfigRepo, type ConfigRepo } from './config-repo.js';
import { startGitHttp } from './git-http.js';
import { startKube, type KubeWorld, type TokenUser } from './kube.js';
import { startSlackStandIn, type SlackStandIn } from './slack-standin.js';
import { startTemporalDev, startTemporalTimeSkipping } from './temporal.js';
import { SANDBOX_FAULTS, worldConfig } from './world-config.js';

export interface WorldOptions {
  /** Scratch directory; default a fresh temp dir, removed on stop. */
  dir?: string;
  temporal?: 'dev' | 'time-skipping' | 'none';
  temporalUi?: boolean;
  temporalPort?: number;
  controller?: { pollIntervalMs?: number; rolloutDelayMs?: number; selfHealDelayMs?: number; faults?: FaultRule[] };
  health?: { window: string; timeout: string };
  tokenUsers?: TokenUser[];
  taskQueue?: string;
  /**
   * Run rewind (the world's rewind.yaml, hence `startWorker()` and the CLI) as this token user
   * instead of admin, e.g. bound only to deploy/base's roles to prove least privilege. The sandbox
   * GitOps controller and `kube.kc` stay admin. Registered with the other token users.
   */
  rewindUser?: { token: string; user: string; uid?: string; groups?: string[] };
}

export interface World {
  dir: string;
  kube: KubeWorld;
  repo: ConfigRepo;
  /** The config repo's URL as GitOps objects and rewind see it (smart HTTP on loopback). */
  repoUrl: string;
  slack: SlackStandIn;
  controller: SandboxController;
  temporal?: TestWorkflowEnvironment;
  config: RewindConfig;
  /** The generated rewind.yaml text (tests derive variants of it). */
  configText: string;
  configPath: string;
  taskQueue: string;
  /** A Rewind handle (config + Temporal client) for src/runs.ts. */
  rewind(): Rewind;
  /** Starts a worker on the world's task queue; stop it with `worker.shutdown()` (stop() does too). */
  startWorker(): Promise<Worker>;
  stop(): Promise<void>;
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const ownDir = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), 'rewind-world-')));
  await mkdir(dir, { recursive: true });
  const cleanups: Array<() => Promise<unknown>> = [];
  const workers: Worker[] = [];
  const stop = async () => {
    for (const w of workers.splice(0)) {
      if (w.getState() === 'RUNNING') w.shutdown();
    }
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    if (ownDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const startTemporal = opts.temporal === 'none' ? Promise.resolve(undefined)
      : opts.temporal === 'time-skipping' ? startTemporalTimeSkipping()
        : startTemporalDev({ ui: opts.temporalUi, port: opts.temporalPort });
    // Registered before awaiting, so a failure elsewhere still tears the server down.
    cleanups.push(async () => (await startTemporal.catch(() => undefined))?.teardown());
    const [kube, repo, slack, temporal] = await Promise.all([
      startKube({ dir: path.join(dir, 'kube'), tokenUsers: [...(opts.tokenUsers ?? []), ...(opts.rewindUser ? [{ ...opts.rewindUser, uid: opts.rewindUser.uid ?? opts.rewindUser.user }] : [])] }),
      seedConfigRepo(path.join(dir, 'git')),
      startSlackStandIn(),
      startTemporal,
    ]);
    cleanups.push(() => kube.stop(), () => slack.stop());
    const gitHttp = await startGitHttp(path.join(dir, 'git'));
    cleanups.push(() => gitHttp.stop());
    const repoUrl = gitHttp.urlOf('config.git');

    const controller = await startSandboxController({
      kc: kube.kc, workDir: path.join(dir, 'controller'),
      pollIntervalMs: opts.controller?.pollIntervalMs, rolloutDelayMs: opts.controller?.rolloutDelayMs ?? 800,
      selfHealDelayMs: opts.controller?.selfHealDelayMs, faults: opts.controller?.faults ?? SANDBOX_FAULTS,
    });
    cleanups.push(() => controller.stop());
    await bootstrapSandboxApps(kube.kc, { url: repoUrl, branch: repo.branch });

    const taskQueue = opts.taskQueue ?? `rewind-${path.basename(dir)}`;
    const address = temporal?.connection ? temporalAddress(temporal) : '127.0.0.1:7233';
    const { text, config } = worldConfig({
      kubeconfigPath: kube.kubeconfigPath, repoUrl, temporalAddress: address, taskQueue, health: opts.health,
      // The world's kubeconfig has one context per token user, named after it (kube.ts).
      ...(opts.rewindUser ? { kubeContext: opts.rewindUser.user } : {}),
      ...(opts.temporalUi && opts.temporalPort ? { temporalUiUrl: `http://127.0.0.1:${opts.temporalPort + 1000}` } : {}),
    });
    const configPath = path.join(dir, 'rewind.yaml');
    await writeFile(configPath, text);

    const world: World = {
      dir, kube, repo, repoUrl, slack, controller, temporal, config, configText: text, configPath, taskQueue,
      rewind() {
        if (!temporal) throw new Error('this world runs no Temporal server');
        return { cfg: config, client: temporal.client, taskQueue };
      },
      async startWorker() {
        if (!temporal) throw new Error('this world runs no Temporal server');
        const worker = await createWorker({
          connection: temporal.nativeConnection, namespace: 'default', taskQueue,
          deps: {
            clusters: clustersFromConfig(config), sources: new GitSourceCache(path.join(dir, 'worker-git')),
            cacheDir: path.join(dir, 'worker-cache'), slackToken: slack.token, slackApiUrl: slack.apiUrl,
          },
        });
        workers.push(worker);
        const running = worker.run();
        cleanups.push(async () => { if (worker.getState() === 'RUNNING') worker.shutdown(); await running.catch(() => undefined); });
        return worker;
      },
      stop,
    };
    return world;
  } catch (err) {
    await stop();
    throw err;
  }
}

function temporalAddress(env: TestWorkflowEnvironment): string {
  const opts = (env.connection as unknown as { options?: { address?: string } }).options;
  return opts?.address ?? '127.0.0.1:7233';
}
