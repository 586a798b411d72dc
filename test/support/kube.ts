/** Small readers of the world's Kubernetes state for assertions. */
import * as k8s from '@kubernetes/client-node';
import { ARGO_REFRESH } from '../../src/lib/gitops/tracking.js';
import { waitFor } from './wait.js';

export interface ArgoApp {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean } | null } };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    history?: Array<{ id: number; revision: string; initiatedBy?: { username?: string; automated?: boolean } }>;
    operationState?: { phase?: string; message?: string };
    conditions?: Array<{ type: string; message?: string }>;
  };
}

export const argoApp = (kc: k8s.KubeConfig, name: string) =>
  kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace: 'argocd',
    plural: 'applications',
    name,
  }) as Promise<ArgoApp>;

export const fluxKs = (kc: k8s.KubeConfig, name: string) =>
  kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    namespace: 'flux-system',
    plural: 'kustomizations',
    name,
  }) as Promise<{
    spec: { suspend?: boolean };
    status?: { lastAppliedRevision?: string; conditions?: Array<{ type: string; status: string; reason?: string }> };
  }>;

export const deploymentImage = async (kc: k8s.KubeConfig, namespace: string, name: string) =>
  (await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ namespace, name })).spec?.template.spec
    ?.containers[0]?.image;

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Asks Argo CD to compare the Application with Git now, as `argocd app get --refresh` does. */
export async function refreshArgo(kc: k8s.KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applications',
      name,
      body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
    },
    mergePatch,
  );
}

/**
 * Waits until an Argo CD Application is Synced and Healthy. Real Argo CD does not retry an
 * automated sync that failed for a revision, and looks again after a comparison error only at its
 * next resync (120 s in the world), so one transient failure at world start leaves the app stuck
 * past a plain wait. Every 30 s without progress this logs what the app shows, asks for a hard
 * refresh and, when the last operation failed, for a sync, as an operator would.
 */
export async function untilArgoSyncedHealthy(kc: k8s.KubeConfig, name: string, timeoutMs = 180_000): Promise<ArgoApp> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let nudgedAt = Date.now();
  return waitFor(
    `${name} Synced and Healthy`,
    async () => {
      const app = await argoApp(kc, name);
      if (app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy') return app;
      const seen = JSON.stringify({
        sync: app.status?.sync,
        health: app.status?.health,
        operationState: app.status?.operationState,
        conditions: app.status?.conditions,
      });
      if (Date.now() - nudgedAt > 30_000) {
        nudgedAt = Date.now();
        const failed = ['Failed', 'Error'].includes(app.status?.operationState?.phase ?? '') && !app.operation;
        console.log(
          `${name} is not Synced and Healthy after 30 s: ${seen}; ` +
            `asking for a hard refresh${failed ? ' and a sync' : ''}`,
        );
        await custom
          .patchNamespacedCustomObject(
            {
              group: 'argoproj.io',
              version: 'v1alpha1',
              namespace: 'argocd',
              plural: 'applications',
              name,
              body: {
                metadata: { annotations: { [ARGO_REFRESH]: 'hard' } },
                ...(failed ? { operation: { initiatedBy: { username: 'test-world' }, sync: { prune: true } } } : {}),
              },
            },
            mergePatch,
          )
          .catch(() => undefined);
      }
      // Thrown, so the timeout message carries what the app showed last.
      throw new Error(`not Synced and Healthy: ${seen}`);
    },
    timeoutMs,
  );
}
