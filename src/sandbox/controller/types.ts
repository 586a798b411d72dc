/**
 * Public shapes of the sandbox GitOps controller: its options and the handle returned by
 * startSandboxController().
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

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
  /** How often the controller looks at the API (annotations, `.operation`, drift). @default 300 */
  tickMs?: number;
  logger?: Logger;
}

export interface SandboxController {
  /** Stops the loop and waits for the reconcile in progress; leaves no timers, watches or sockets. */
  stop(): Promise<void>;
  /** Completed controller ticks, for tests that need "at least one more pass". */
  readonly reconcileCount: number;
  /** Resolves after `n` more complete ticks. */
  waitTicks(n?: number): Promise<void>;
}
