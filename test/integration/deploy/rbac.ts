/**
 * deploy/ rendered by the real kustomize, and its RBAC objects created through the API server,
 * bound to a test identity instead of the in-cluster ServiceAccount.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { KubeApiError, KubeRest } from '../../../src/lib/kube/rest.js';
import { requireKustomize } from '../../../src/lib/tools/binaries.js';
import { REPO_ROOT } from '../../../src/sandbox/world/kube.js';

const run = promisify(execFile);

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** `kustomize build deploy/<dir>`, parsed. */
export async function kustomizeBuild(dir: string): Promise<Manifest[]> {
  const { stdout } = await run(requireKustomize(), ['build', path.join(REPO_ROOT, dir)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest)
    .filter(Boolean);
}

const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/**
 * Creates every RBAC object of `manifests` as admin, with each binding's subjects replaced by the
 * token user (bindings renamed with `bindingSuffix`, so two identities can hold the same roles).
 * Roles that already exist with the same name are left as they are (two overlays share them).
 */
export async function applyRbac(
  admin: KubeConfig,
  manifests: Manifest[],
  user: string,
  bindingSuffix = '',
): Promise<Manifest[]> {
  const rest = await KubeRest.create(admin);
  const created: Manifest[] = [];
  try {
    for (const m of manifests.filter((x) => RBAC_KINDS.has(x.kind))) {
      const binding = m.kind.endsWith('Binding');
      const obj = binding
        ? {
            ...m,
            metadata: { ...m.metadata, name: `${m.metadata.name}${bindingSuffix}` },
            subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
          }
        : m;
      const info = await rest.resource(obj.apiVersion, obj.kind);
      try {
        await rest.request('POST', rest.collectionPath(info, obj.metadata.namespace), { body: obj });
        created.push(obj);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 409 && !binding)) throw err;
      }
    }
  } finally {
    rest.close();
  }
  return created;
}
