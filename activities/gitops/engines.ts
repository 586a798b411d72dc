/** Picks the engine implementation for a target. */
import type { KubeConfig } from '@kubernetes/client-node';
import type { EngineRef } from '../../workflows/types.js';
import { argoEngine } from './argo.js';
import type { GitOpsEngine } from './engine.js';
import { fluxEngine } from './flux.js';

export function engineFor(kc: KubeConfig, ref: EngineRef): GitOpsEngine {
  return ref.kind === 'argocd' ? argoEngine(kc, ref) : fluxEngine(kc, ref);
}
