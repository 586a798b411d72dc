/**
 * The sandbox GitOps controller: a STAND-IN for Argo CD's application controller and Flux's
 * source- and kustomize-controllers, kept for fast tests and for `npm start --engines standin`
 * (the test world runs the real engines by default). It reconciles Argo CD Applications and Flux
 * GitRepositories/Kustomizations against the real API server (the test world's kube-apiserver);
 * see argo-app.ts and flux-kustomization.ts for what each stand-in does, and what it leaves out.
 * Workload status (what kubelets and the deployment controller would write) is not its business:
 * run the workload simulator (src/sandbox/workloads) beside it.
 *
 * It grades rewind, so it judges with its own code and never rewind's: argo-diff.ts (what Argo
 * calls OutOfSync), health.ts (Argo's health) and kstatus.ts (Flux's health checks) are small,
 * independent and only as complete as the seeded apps need; test/unit/sandbox/standin-imports
 * fails if anything here reaches src/lib/gitops/diff.ts or src/lib/health/. The objects it writes have the
 * shapes of the real engines' (fixtures recorded from them in test/fixtures/engines, held by
 * test/integration/sandbox/standin-shapes.test.ts), and so do its Events (events.ts).
 *
 * It polls instead of watching: every `tickMs` it lists the engine objects and the live kinds
 * it needs once, which keeps annotation and `.operation` handling within about a second and
 * makes stop() trivially clean (no watch streams to tear down).
 *
 * ```ts
 * const ctl = await startSandboxController({ kc: world.kc, workDir, pollIntervalMs: 180_000 });
 * await ctl.stop();
 * ```
 */
import { mkdir } from 'node:fs/promises';
import { pino } from 'pino';
import { GitSourceCache } from '../../lib/gitops/git-source.js';
import { ArgoController } from './argo-app.js';
import { FluxKustomizationController } from './flux-kustomization.js';
import { FluxSourceController } from './flux-source.js';
import { KubeRest } from '../../lib/kube/rest.js';
import { LiveSnapshot } from './live-snapshot.js';
import { Runtime } from './runtime.js';
import type { SandboxController, SandboxControllerOptions } from './types.js';

export type { SandboxController, SandboxControllerOptions } from './types.js';
export { ARGO_FIELD_MANAGER } from './argo-sync.js';
export { FLUX_FIELD_MANAGER } from './flux-kustomization.js';

export async function startSandboxController(opts: SandboxControllerOptions): Promise<SandboxController> {
  await mkdir(opts.workDir, { recursive: true });
  const rest = await KubeRest.create(opts.kc);
  const log = opts.logger ?? pino({ level: process.env.REWIND_LOG_LEVEL ?? 'warn' });
  const rt = new Runtime(
    rest,
    new GitSourceCache(opts.workDir),
    {
      argoNamespace: opts.argoNamespace ?? 'argocd',
      fluxNamespace: opts.fluxNamespace ?? 'flux-system',
      pollIntervalMs: opts.pollIntervalMs ?? 180_000,
      selfHealDelayMs: opts.selfHealDelayMs ?? 5_000,
    },
    log.child({ component: 'sandbox-controller' }),
    new LiveSnapshot(rest),
  );
  const tickMs = opts.tickMs ?? 300;
  const steps = [new FluxSourceController(), new FluxKustomizationController(), new ArgoController()];

  let stopped = false,
    count = 0;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const tickWaiters: Array<{ at: number; resolve: () => void }> = [];

  const loop = (async () => {
    while (!stopped) {
      rt.snapshot = new LiveSnapshot(rest);
      for (const step of steps) {
        if (stopped) break;
        try {
          await step.tick(rt);
        } catch (err) {
          rt.logError(err, { step: step.constructor.name }, 'tick step failed');
        }
      }
      count++;
      for (const w of tickWaiters.splice(0)) {
        if (w.at <= count) w.resolve();
        else tickWaiters.push(w);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, tickMs);
      });
      timer = undefined;
      wake = undefined;
    }
  })();

  return {
    get reconcileCount() {
      return count;
    },
    waitTicks(n = 1) {
      if (stopped) return Promise.reject(new Error('sandbox controller is stopped'));
      return new Promise<void>((resolve) => tickWaiters.push({ at: count + n, resolve }));
    },
    async stop() {
      if (stopped) return loop;
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      for (const w of tickWaiters.splice(0)) w.resolve();
      rest.close();
    },
  };
}
