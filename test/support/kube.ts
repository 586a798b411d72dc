/** Small readers of the world's Kubernetes state for assertions. */
import * as k8s from '@kubernetes/client-node';

export interface ArgoApp {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean } | null } };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    history?: Array<{ id: number; revision: string; initiatedBy?: { username?: string; automated?: boolean } }>;
    operationState?: { phase?: string };
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
