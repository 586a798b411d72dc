/**
 * Public shapes of the sandbox GitOps controller: its options, the fault rules that make a
 * workload fail on purpose, and the handle returned by startSandboxController().
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/**
 * Marks matching Deployments as failing, the way a bad image or a wrong config value would.
 * Every condition given must hold (AND). `env` is resolved per container from `env` and from
 * `envFrom` ConfigMaps: `mustEqual` fails when the value differs (or is unset), `mustNotEqual`
 * fails when it equals; with neither, the variable being set at all fails.
 */
export interface FaultRule {
  name: string;
  namespace?: string;
  deployment?: string;
  /** Exact image reference of one of the containers, e.g. `ghcr.io/acme/users-api:1.43.0`. */
  image?: string;
  env?: { name: string; mustEqual?: string; mustNotEqual?: string };
  /** Shown in the Deployment's Available condition, as a crash-looping pod's reason would be. */
  message: string;
}

export interface SandboxControllerOptions {
  /** Admin client config of the API server to reconcile against. */
  kc: KubeConfig;
  /** Git mirrors, extracted revisions and nothing else live here. */
  workDir: string;
  /** @default 'argocd' */
  argoNamespace?: string;
  /** @default 'flux-system' */
  fluxNamespace?: string;
  /** Argo CD `timeout.reconciliation`: how often the target revision is resolved. @default 180000 */
  pollIntervalMs?: number;
  /** Argo CD self-heal timeout: the least time between a sync and a self-heal sync. @default 5000 */
  selfHealDelayMs?: number;
  /** Simulated pod start time: how long a rollout takes to become available. @default 1500 */
  rolloutDelayMs?: number;
  /** How often the controller looks at the API (annotations, `.operation`, drift). @default 300 */
  tickMs?: number;
  faults?: FaultRule[];
  logger?: Logger;
}

export interface SandboxController {
  /** Stops the loop and waits for the reconcile in progress; leaves no timers, watches or sockets. */
  stop(): Promise<void>;
  /** Replaces the fault rules; the next tick re-evaluates every Deployment. */
  setFaults(rules: FaultRule[]): void;
  /** Completed controller ticks, for tests that need "at least one more pass". */
  readonly reconcileCount: number;
  /** Resolves after `n` more complete ticks. */
  waitTicks(n?: number): Promise<void>;
}
