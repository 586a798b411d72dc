/**
 * The whole loopback world in one call, for tests and for `npm start`: a real kube-apiserver,
 * a real Temporal server, a real seeded config repo served over git smart HTTP, the Slack Web
 * API stand-in, the workload simulator (the kubelets' stand-in) and the GitOps engines
 * reconciling the seeded apps: real Argo CD and Flux (`engines: 'real'`, the default), or
 * rewind's fast stand-in controller (`engines: 'standin'`). `stop()` tears everything down, in
 * reverse order, and is safe to call after a partial start.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RewindConfig } from '../../lib/config/schema.js';
import type { Rewind } from '../../lib/runs.js';
import { createWorker } from '../../app/worker.js';
import { ensureTargetWatches } from '../../lib/watch/target-watches.js';
import { clustersFromConfig } from '../../lib/kube/clusters.js';
import { GitSourceCache } from '../../lib/gitops/git-source.js';
import { bootstrapSandboxApps } from '../bootstrap.js';
import { startSandboxController } from '../controller/index.js';
import type { SandboxController } from '../controller/types.js';
import { startWorkloadSimulator, type FaultRule, type WorkloadSimulator } from '../workloads/index.js';
import { startArgoCd, type ArgoCd } from './argocd.js';
import { seedConfigRepo, type ConfigRepo } from './config-repo.js';
import { requireArgo, requireFlux } from './engine-binaries.js';
import { startFlux, type Flux } from './flux.js';
import { startGitHttp, type GitHttpServer } from './git-http.js';
import { startKube, type KubeWorld, type TokenUser } from './kube.js';
import { startSlackStandIn, type SlackStandIn } from './slack-standin.js';
import { startPrometheus, type Prometheus } from './prometheus.js';
import { startRegistry, type Registry } from './registry.js';
import { startForgeStandin, type ForgeStandin } from './forge-standin.js';
import { startTemporalDev, startTemporalTimeSkipping } from './temporal.js';
import { SANDBOX_FAULTS, worldConfig } from './world-config.js';

/** The env var the world's worker reads its forge token from (`forge` option). */
const FORGE_TOKEN_ENV = 'REWIND_WORLD_FORGE_TOKEN';

export type EngineMode = 'real' | 'standin';

/** `REWIND_ENGINES` (real | standin) picks the engines of worlds that do not say; real by default. */
export function defaultEngines(): EngineMode {
  const v = process.env.REWIND_ENGINES;
  if (v === undefined || v === '' || v === 'real') return 'real';
  if (v === 'standin') return 'standin';
  throw new Error(`REWIND_ENGINES=${v}: use real or standin`);
}

export interface WorldOptions {
  /** Scratch directory; default a fresh temp dir, removed on stop. */
  dir?: string;
  temporal?: 'dev' | 'time-skipping' | 'none';
  temporalUi?: boolean;
  temporalPort?: number;
  /** Real Argo CD + Flux, or the stand-in controller. @default defaultEngines() */
  engines?: EngineMode;
  /**
   * How often each engine looks at Git unasked: Argo CD `--app-resync` (no jitter) and the Flux
   * GitRepository interval, or the stand-in's poll. Runbooks never wait for it (they refresh).
   * @default 120 (Argo CD's upstream default, without its 60 s jitter)
   */
  pollSeconds?: number;
  /** Stand-in only: its self-heal delay. Real Argo CD uses upstream's 5 s. */
  controller?: { selfHealDelayMs?: number };
  /** The workload simulator: fault rules (default SANDBOX_FAULTS), pod start time, back-off scale. */
  workloads?: { faults?: FaultRule[]; podStartMs?: number; backoffScale?: number };
  /**
   * A real Prometheus (Debian's package) scraping the workload simulator's per-workload request
   * metrics every second; rewind.yaml then names it, and users-api dev and staging verify every
   * promotion by its error rate. @default false
   */
  prometheus?: boolean;
  /**
   * A real container registry (Debian's docker-registry) on loopback holding every ghcr.io/acme
   * image the seeded promotions name; rewind.yaml then lists it as the registry of ghcr.io, so
   * rollback plans ask it whether the images a revert brings back still exist. @default false
   */
  registry?: boolean;
  /**
   * The forge stand-in (GitHub's pulls API over the config repo) with main protected: pushes over
   * HTTP to main are refused, so rewind.yaml sets `pullRequests` for the config repo and every
   * revert or emergency commit goes through a PR. `merge: api` is the break-glass policy.
   */
  forge?: { merge?: 'wait' | 'api' };
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
  /** The git remote serving `repoUrl`: `stop()`/`start()` take it away and bring it back on the same port. */
  git: GitHttpServer;
  slack: SlackStandIn;
  engines: EngineMode;
  /** The stand-in controller (engines: 'standin'). */
  controller?: SandboxController;
  /** Real Argo CD and Flux (engines: 'real'). */
  argo?: ArgoCd;
  flux?: Flux;
  /** The kubelets' stand-in: Deployment and Job status, fault rules. */
  workloads: WorkloadSimulator;
  /** Real Prometheus on loopback (`prometheus: true`). */
  prometheus?: Prometheus;
  /** Real container registry on loopback (`registry: true`), standing for ghcr.io; its names are `acme/<app>`. */
  registry?: Registry;
  /** The forge stand-in (`forge` option): the config repo is `acme/config` there. */
  forge?: ForgeStandin;
  temporal?: TestWorkflowEnvironment;
  config: RewindConfig;
  /** The generated rewind.yaml text (tests derive variants of it). */
  configText: string;
  configPath: string;
  taskQueue: string;
  /** A Rewind handle (config + Temporal client) for src/lib/runs.ts. */
  rewind(): Rewind;
  /** Starts a worker on the world's task queue; stop it with `worker.shutdown()` (stop() does too). */
  startWorker(): Promise<Worker>;
  /**
   * Starts the per-target watches (src/lib/watch/target-watches.ts), as the production worker does;
   * needs a running worker to make progress.
   */
  startWatches(): Promise<void>;
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
  const engines = opts.engines ?? defaultEngines();
  const pollSeconds = opts.pollSeconds ?? 120;
  try {
    const startTemporal =
      opts.temporal === 'none'
        ? Promise.resolve(undefined)
        : opts.temporal === 'time-skipping'
          ? startTemporalTimeSkipping()
          : startTemporalDev({ ui: opts.temporalUi, port: opts.temporalPort });
    // Registered before awaiting, so a failure elsewhere still tears the server down.
    cleanups.push(async () => (await startTemporal.catch(() => undefined))?.teardown());
    const [kube, repo, slack, temporal] = await Promise.all([
      startKube({
        dir: path.join(dir, 'kube'),
        ...(engines === 'real' ? { crdDirs: [requireArgo().crdDir, requireFlux().crdDir] } : {}),
        tokenUsers: [
          ...(opts.tokenUsers ?? []),
          ...(opts.rewindUser ? [{ ...opts.rewindUser, uid: opts.rewindUser.uid ?? opts.rewindUser.user }] : []),
        ],
      }),
      seedConfigRepo(path.join(dir, 'git')),
      startSlackStandIn(),
      startTemporal,
    ]);
    cleanups.push(
      () => kube.stop(),
      () => slack.stop(),
    );
    const gitHttp = await startGitHttp(path.join(dir, 'git'));
    cleanups.push(() => gitHttp.stop());
    const repoUrl = gitHttp.urlOf('config.git');

    const workloads = await startWorkloadSimulator({
      kc: kube.kc,
      faults: opts.workloads?.faults ?? SANDBOX_FAULTS,
      podStartMs: opts.workloads?.podStartMs ?? 800,
      backoffScale: opts.workloads?.backoffScale ?? 0.1,
      ...(opts.prometheus ? { metrics: {} } : {}),
    });
    cleanups.push(() => workloads.stop());
    let prometheus: Prometheus | undefined;
    if (opts.prometheus) {
      const p = await startPrometheus({
        dir: path.join(dir, 'prometheus'),
        targets: [new URL(workloads.metricsUrl!).host],
      });
      prometheus = p;
      cleanups.push(() => p.stop());
    }
    let registry: Registry | undefined;
    if (opts.registry) {
      const r = await startRegistry({ dir: path.join(dir, 'registry') });
      registry = r;
      cleanups.push(() => r.stop());
      const images = new Set(repo.promotions.flatMap((p) => [`acme/${p.app}:${p.from}`, `acme/${p.app}:${p.to}`]));
      for (const image of images) await r.push(image);
    }
    let forge: ForgeStandin | undefined;
    if (opts.forge) {
      const token = randomBytes(16).toString('hex');
      const f = await startForgeStandin({ repos: { 'acme/config': repo.remote }, token });
      forge = f;
      cleanups.push(() => f.stop());
      await f.protectBranch('acme', 'config', repo.branch);
      // The worker reads its forge token from the environment by name, as in production.
      process.env[FORGE_TOKEN_ENV] = token;
    }
    let controller: SandboxController | undefined, argo: ArgoCd | undefined, flux: Flux | undefined;
    if (engines === 'real') {
      const [a, f] = await Promise.allSettled([
        startArgoCd({
          kc: kube.kc,
          kubeconfigPath: kube.kubeconfigPath,
          dir: path.join(dir, 'argocd'),
          resyncSeconds: pollSeconds,
        }),
        startFlux({ kubeconfigPath: kube.kubeconfigPath, dir: path.join(dir, 'flux') }),
      ]);
      if (a.status === 'fulfilled') {
        argo = a.value;
        cleanups.push(() => a.value.stop());
      }
      if (f.status === 'fulfilled') {
        flux = f.value;
        cleanups.push(() => f.value.stop());
      }
      if (a.status === 'rejected') throw a.reason;
      if (f.status === 'rejected') throw f.reason;
    } else {
      const ctl = await startSandboxController({
        kc: kube.kc,
        workDir: path.join(dir, 'controller'),
        pollIntervalMs: pollSeconds * 1000,
        selfHealDelayMs: opts.controller?.selfHealDelayMs,
      });
      controller = ctl;
      cleanups.push(() => ctl.stop());
    }
    await bootstrapSandboxApps(kube.kc, { url: repoUrl, branch: repo.branch }, { pollIntervalMs: pollSeconds * 1000 });

    const taskQueue = opts.taskQueue ?? `rewind-${path.basename(dir)}`;
    const address = temporal?.connection ? temporalAddress(temporal) : '127.0.0.1:7233';
    const { text, config } = worldConfig({
      kubeconfigPath: kube.kubeconfigPath,
      repoUrl,
      temporalAddress: address,
      taskQueue,
      health: opts.health,
      ...(prometheus ? { prometheusUrl: prometheus.url } : {}),
      ...(registry ? { registryUrl: registry.url } : {}),
      ...(forge
        ? { pullRequests: { api: forge.apiUrl, tokenEnv: FORGE_TOKEN_ENV, merge: opts.forge?.merge ?? 'wait' } }
        : {}),
      // The world's kubeconfig has one context per token user, named after it (kube.ts).
      ...(opts.rewindUser ? { kubeContext: opts.rewindUser.user } : {}),
      ...(opts.temporalUi && opts.temporalPort
        ? { temporalUiUrl: `http://127.0.0.1:${opts.temporalPort + 1000}` }
        : {}),
    });
    const configPath = path.join(dir, 'rewind.yaml');
    await writeFile(configPath, text);

    const world: World = {
      dir,
      kube,
      repo,
      repoUrl,
      git: gitHttp,
      slack,
      engines,
      controller,
      argo,
      flux,
      workloads,
      prometheus,
      registry,
      forge,
      temporal,
      config,
      configText: text,
      configPath,
      taskQueue,
      rewind() {
        if (!temporal) throw new Error('this world runs no Temporal server');
        return { cfg: config, client: temporal.client, taskQueue };
      },
      async startWorker() {
        if (!temporal) throw new Error('this world runs no Temporal server');
        const worker = await createWorker({
          connection: temporal.nativeConnection,
          namespace: 'default',
          taskQueue,
          deps: {
            clusters: clustersFromConfig(config),
            sources: new GitSourceCache(path.join(dir, 'worker-git')),
            cacheDir: path.join(dir, 'worker-cache'),
            slackToken: slack.token,
            slackApiUrl: slack.apiUrl,
          },
        });
        workers.push(worker);
        const running = worker.run();
        cleanups.push(async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running.catch(() => undefined);
        });
        return worker;
      },
      async startWatches() {
        await ensureTargetWatches(world.rewind());
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
