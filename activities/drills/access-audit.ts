/**
 * The access-audit drill: "can you ship without CI holding cluster credentials?" Asks the real
 * API server, through SubjectAccessReview, whether each CI identity may change anything.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';

export interface AccessFinding {
  identity: string;
  verb: string;
  resource: string;
  group: string;
  namespace: string;
  allowed: boolean;
  reason?: string;
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete'] as const;
/** What a CI system would need to deploy by itself; none of it should be allowed. */
const RESOURCES: Array<{ group: string; resource: string }> = [
  { group: 'apps', resource: 'deployments' },
  { group: '', resource: 'configmaps' },
  { group: '', resource: 'secrets' },
  { group: '', resource: 'services' },
  { group: 'argoproj.io', resource: 'applications' },
  { group: 'kustomize.toolkit.fluxcd.io', resource: 'kustomizations' },
];

/** `system:serviceaccount:ns:name` identities get their service-account groups, as the API server would. */
function subject(identity: string): { user: string; groups: string[] } {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(identity);
  return m
    ? { user: identity, groups: ['system:serviceaccounts', `system:serviceaccounts:${m[1]}`, 'system:authenticated'] }
    : { user: identity, groups: ['system:authenticated'] };
}

export async function auditAccess(
  kc: KubeConfig,
  identities: string[],
  namespaces: string[],
): Promise<AccessFinding[]> {
  const rest = await restFor(kc);
  const findings: AccessFinding[] = [];
  for (const identity of identities) {
    const { user, groups } = subject(identity);
    for (const namespace of namespaces) {
      for (const { group, resource } of RESOURCES) {
        for (const verb of WRITE_VERBS) {
          const review = await rest.request<{ status?: { allowed?: boolean; reason?: string } }>(
            'POST',
            '/apis/authorization.k8s.io/v1/subjectaccessreviews',
            {
              body: {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SubjectAccessReview',
                spec: { user, groups, resourceAttributes: { namespace, verb, group, resource } },
              },
            },
          );
          findings.push({
            identity,
            verb,
            resource,
            group,
            namespace,
            allowed: review.status?.allowed === true,
            ...(review.status?.reason ? { reason: review.status.reason } : {}),
          });
        }
      }
    }
  }
  return findings;
}

export function createAccessAuditActivities(deps: { clusters: Clusters }) {
  return {
    async accessAudit({
      cluster,
      identities,
      namespaces,
    }: {
      cluster: string;
      identities: string[];
      namespaces: string[];
    }): Promise<{ allowed: AccessFinding[]; checked: number }> {
      const findings = await auditAccess(clusterConfig(deps.clusters, cluster), identities, namespaces);
      return { allowed: findings.filter((f) => f.allowed), checked: findings.length };
    },
  };
}
