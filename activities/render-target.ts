/**
 * What Git renders for a target, as Argo CD's repo server would: fetch first (the revision may be a
 * commit pushed moments ago, such as the revert itself), resolve the branch head unless a revision
 * is given, render the environment's path, and put namespace-less objects in the target namespace,
 * except cluster-scoped ones (a Namespace in a Flux directory): those have none, live or desired.
 */
import type { GitSourceCache } from '../src/lib/gitops/git-source.js';
import { groupOf, renderManifests, type KubeObject } from '../src/lib/gitops/render.js';
import type { TargetSnapshot } from '../workflows/types.js';

/**
 * Built-in cluster-scoped kinds by API group, as kustomize's own namespace transformer knows them:
 * giving one of them a namespace makes its key (objectKey) differ from the live object's, so the
 * drift report saw a "missing" and an "extra" copy of the same object.
 */
const CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
  '': ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'admissionregistration.k8s.io': [
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ],
  'storage.k8s.io': ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment'],
  'scheduling.k8s.io': ['PriorityClass'],
  'node.k8s.io': ['RuntimeClass'],
  'networking.k8s.io': ['IngressClass'],
  'certificates.k8s.io': ['CertificateSigningRequest'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
};

const isClusterScoped = (o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean =>
  CLUSTER_SCOPED[groupOf(o.apiVersion)]?.includes(o.kind) ?? false;

export async function renderTarget(
  sources: GitSourceCache,
  target: TargetSnapshot,
  revision?: string,
): Promise<{ sha: string; objects: KubeObject[] }> {
  const source = sources.get(target.repo.url);
  await source.fetch();
  const sha = revision ?? (await source.resolve(target.repo.branch));
  const objects = (await source.withTree(sha, (dir) => renderManifests(dir, target.path))).map((o) =>
    o.metadata.namespace !== undefined || isClusterScoped(o)
      ? o
      : { ...o, metadata: { ...o.metadata, namespace: target.namespace } },
  );
  return { sha, objects };
}
