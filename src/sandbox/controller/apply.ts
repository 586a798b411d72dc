/**
 * Applying and deleting rendered objects, shared by the Argo and Flux stand-ins: server-side apply
 * with the engine's field manager and force (so fields a manual edit took are taken back, and
 * fields the manager owned but Git dropped are removed), objects in kubectl's kind order.
 * Namespaces are created only on request: Argo CD does it for `CreateNamespace=true`, Flux never
 * (its apps carry their Namespace manifests).
 */
import { groupOf, type KubeObject } from '../../lib/gitops/render.js';
import { KubeApiError, isConflict } from '../../lib/kube/rest.js';
import type { Runtime } from './runtime.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'failed';

export interface ApplyResult {
  object: KubeObject;
  action: ApplyAction;
  message: string;
  version: string;
}

/** kubectl / Argo CD apply order; unknown kinds go last, in their rendered order. */
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

/** kubectl's way of naming an object in messages: `deployment.apps/users-api`, `service/users-api`. */
export function displayName(o: KubeObject): string {
  const g = groupOf(o.apiVersion);
  return `${o.kind.toLowerCase()}${g ? `.${g}` : ''}/${o.metadata.name}`;
}

export function versionOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}

/**
 * Creates the namespace `namespace` when it does not exist yet (Argo CD's `CreateNamespace=true`);
 * returns the Namespace object when it created it.
 */
export async function ensureNamespace(rt: Runtime, namespace: string): Promise<KubeObject | undefined> {
  const existing = (await rt.snapshot.list('v1', 'Namespace')).some((n) => n.metadata.name === namespace);
  if (existing) return undefined;
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  try {
    await rt.rest.request('POST', '/api/v1/namespaces', { body: ns });
    rt.log.info({ namespace }, 'created namespace');
  } catch (err) {
    if (!isConflict(err)) throw err;
    return undefined;
  } finally {
    rt.snapshot.invalidate('v1', 'Namespace');
  }
  return ns;
}

/** Server-side applies `objects` (already carrying tracking metadata) in kind order; never throws per object. */
export async function applyObjects(
  rt: Runtime,
  objects: readonly KubeObject[],
  fieldManager: string,
): Promise<ApplyResult[]> {
  const ordered = [...objects].sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
  const results: ApplyResult[] = [];
  for (const object of ordered) {
    const name = displayName(object);
    try {
      const info = await rt.snapshot.resource(object.apiVersion, object.kind);
      const before = await rt.snapshot.find(object);
      const body = structuredClone(object) as KubeObject & { status?: unknown };
      delete body.status;
      const after = await rt.rest.apply<KubeObject>(
        rt.rest.objectPath(info, object.metadata.namespace, object.metadata.name),
        body,
        fieldManager,
      );
      const action: ApplyAction = !before
        ? 'created'
        : before.metadata['resourceVersion'] === after.metadata['resourceVersion']
          ? 'unchanged'
          : 'configured';
      results.push({ object, action, message: `${name} ${action}`, version: versionOf(object.apiVersion) });
      if (action !== 'unchanged') rt.snapshot.invalidate(object.apiVersion, object.kind);
    } catch (err) {
      const reason = err instanceof KubeApiError ? `${err.reason}: ${err.serverMessage}` : (err as Error).message;
      results.push({
        object,
        action: 'failed',
        message: `${name} failed: ${reason}`,
        version: versionOf(object.apiVersion),
      });
    }
  }
  return results;
}

/** Deletes a live object (background propagation); a missing object counts as deleted. */
export async function deleteObject(rt: Runtime, o: KubeObject): Promise<void> {
  const info = await rt.snapshot.resource(o.apiVersion, o.kind);
  await rt.rest.delete(rt.rest.objectPath(info, o.metadata.namespace, o.metadata.name));
  rt.snapshot.invalidate(o.apiVersion, o.kind);
}
