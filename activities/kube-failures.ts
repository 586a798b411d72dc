/**
 * Authentication and authorization failures are not transient: a retry sends the same refused
 * credentials, or asks again for a right nobody granted. Every activity goes through
 * `withKubeAuthFailures` (activities/index.ts), which turns a 401 or 403 from the Kubernetes API
 * into a non-retryable NotAuthorized failure naming the cluster and the fix. KubeRest has
 * already retried a 401 once with fresh credentials, so an expiring token does not end here.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isForbidden, isUnauthorized, kubeApiErrorIn, type KubeApiError } from '../src/lib/kube/errors.js';
import { FailureType } from '../workflows/types.js';

/** Where rewind's own rights are granted. */
export const RBAC_FILE = 'deploy/base/rbac.yaml';

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', WATCH: 'watch' };

/**
 * The RBAC terms of a request: verb, API group, resource (with subresource), namespace and name, read from its path.
 */
export function rbacTermsOf(
  method: string,
  path: string,
): { verb: string; group: string; resource: string; namespace?: string; name?: string } | undefined {
  const m =
    /^\/(?:api\/[^/]+|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+)(?=\/))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
      path,
    );
  if (!m) return undefined;
  const [, group = '', namespace, resource = '', name, sub] = m;
  const verb =
    method === 'GET'
      ? name
        ? 'get'
        : 'list'
      : method === 'DELETE'
        ? name
          ? 'delete'
          : 'deletecollection'
        : (VERBS[method] ?? method.toLowerCase());
  return {
    verb,
    group,
    resource: sub ? `${resource}/${sub}` : resource,
    ...(namespace ? { namespace: decodeURIComponent(namespace) } : {}),
    ...(name ? { name: decodeURIComponent(name) } : {}),
  };
}

/** What a person reads for a refused request: which credentials or which right, and where to fix it. */
export function authFailureMessage(err: KubeApiError): string {
  const ep = err.endpoint;
  const cluster = ep ? `cluster ${ep.cluster} (${ep.server})` : 'the cluster';
  if (isUnauthorized(err)) {
    const who = ep ? ` (kubeconfig user ${ep.user}, ${ep.credentials})` : '';
    return `the credentials for ${cluster} were refused: refresh them${who}; the API server said: ${err.serverMessage}`;
  }
  const t = rbacTermsOf(err.method, err.path);
  const what = t
    ? `${t.verb} ${t.resource}${t.group ? `.${t.group}` : ''}${t.name ? ` ${t.name}` : ''}` +
      `${t.namespace ? ` in namespace ${t.namespace}` : ' (cluster-wide)'}`
    : `${err.method} ${err.path}`;
  const rule = t ? ` (apiGroups: ["${t.group}"], resources: ["${t.resource}"], verbs: ["${t.verb}"])` : '';
  return (
    `rewind may not ${what} on ${cluster}: grant it ` +
    `in ${RBAC_FILE}${rule}; the API server said: ${err.serverMessage}`
  );
}

/**
 * The NotAuthorized failure: non-retryable, with the refused request as details. No `cause`: a run
 * reports the innermost cause's message (workflows/failure-message.ts), which must be this one.
 */
export function notAuthorized(message: string, err?: KubeApiError): ApplicationFailure {
  const details = err
    ? [{ status: err.status, reason: err.reason, method: err.method, path: err.path, ...(err.endpoint ?? {}) }]
    : [];
  return ApplicationFailure.create({ message, type: FailureType.NotAuthorized, nonRetryable: true, details });
}

type AnyFn = (...args: never[]) => Promise<unknown>;

/**
 * Wraps each activity: a 401 or 403 from Kubernetes (or caused by one) leaves as NotAuthorized,
 * everything else as it was.
 */
export function withKubeAuthFailures<T extends Record<string, AnyFn>>(activities: T): T {
  const out: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        const kube = kubeApiErrorIn(err);
        if (kube && (isUnauthorized(kube) || isForbidden(kube))) throw notAuthorized(authFailureMessage(kube), kube);
        throw err;
      }
    };
  }
  return out as T;
}
