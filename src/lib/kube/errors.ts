/**
 * The one error type of rewind's Kubernetes client and the predicates every caller uses on it.
 * KubeRest throws it for every error status; watches (client-node's Watch) are mapped to it by
 * `watchError`. It carries where the request went and with which credentials, so a refusal can
 * name its fix (activities/kube-failures.ts turns 401 and 403 into NotAuthorized failures).
 */
import { STATUS_CODES } from 'node:http';
import type { KubeConfig, User } from '@kubernetes/client-node';

/** The cluster a request went to and the credentials it carried, as a person would look them up. */
export interface KubeEndpoint {
  /** rewind's name for the cluster (rewind.yaml), else the kubeconfig's cluster name. */
  cluster: string;
  server: string;
  /** The kubeconfig user. */
  user: string;
  /**
   * How that user authenticates: "exec plugin aws eks get-token …", "token file /var/run/…", "a client certificate", …
   */
  credentials: string;
}

/**
 * Thrown when the API server answers with an error status; carries the Status reason, the request and where it went.
 */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly serverMessage: string,
    readonly method: string,
    readonly path: string,
    readonly endpoint?: KubeEndpoint,
  ) {
    super(`${method} ${path}: ${status} ${reason}: ${serverMessage}`);
    this.name = 'KubeApiError';
  }
}

const hasStatus = (err: unknown, ...codes: number[]): boolean =>
  err instanceof KubeApiError && codes.includes(err.status);

export const isNotFound = (err: unknown): boolean => hasStatus(err, 404);
export const isConflict = (err: unknown): boolean => hasStatus(err, 409);
/** 403: the credentials were accepted, but RBAC does not grant this verb on this resource. */
export const isForbidden = (err: unknown): boolean => hasStatus(err, 403);
/** 401: the API server did not accept the credentials (expired, revoked, or for another cluster). */
export const isUnauthorized = (err: unknown): boolean => hasStatus(err, 401);

/** 410: the resourceVersion a list or watch asked for is older than etcd keeps. */
export const isGone = (err: unknown): boolean => hasStatus(err, 410);

/** Errno codes of a connection that failed or was cut: the server may well answer the next attempt. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Worth retrying: throttled (429), a server-side error (5xx), a request timeout, or a
 * refused/reset/timed-out connection.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof KubeApiError) return err.status === 408 || err.status === 429 || err.status >= 500;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/** The KubeApiError an error is or was caused by (`cause` chain), if any. */
export function kubeApiErrorIn(err: unknown): KubeApiError | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof KubeApiError) return e;
  }
  return undefined;
}

function credentialsOf(user: User | null): string {
  if (!user) return 'no user';
  const exec = user.exec as { command?: string; args?: string[] } | undefined;
  if (exec?.command) {
    const line = [exec.command, ...(exec.args ?? [])].join(' ');
    return `exec plugin ${line.length > 120 ? `${line.slice(0, 117)}…` : line}`;
  }
  const provider = user.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
  if (provider?.config?.tokenFile) return `token file ${provider.config.tokenFile}`;
  if (provider?.name) return `auth provider ${provider.name}`;
  if (user.token) return 'a bearer token in the kubeconfig';
  if (user.certData || user.certFile) return 'a client certificate';
  if (user.username) return 'basic auth';
  return 'no credentials';
}

/** Where `kc` sends requests and with which credentials; `cluster` is rewind's name for it when known. */
export function endpointOf(kc: KubeConfig, cluster?: string): KubeEndpoint {
  const c = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  return {
    cluster: cluster ?? c?.name ?? '(no cluster)',
    server: c?.server ?? '',
    user: user?.name ?? '(no user)',
    credentials: credentialsOf(user),
  };
}

/**
 * A watch failure from client-node's Watch as a KubeApiError: Watch rejects a non-200 answer with
 * a plain Error carrying `statusCode` (it does not read the Status body). Other errors (the
 * connection) are returned as they are.
 */
export function watchError(err: unknown, path: string, endpoint?: KubeEndpoint): unknown {
  const status = (err as { statusCode?: unknown } | null | undefined)?.statusCode;
  if (typeof status !== 'number') return err;
  const reason = STATUS_CODES[status]?.replace(/\s+/g, '') ?? 'Unknown';
  return new KubeApiError(status, reason, (err as Error).message || reason, 'WATCH', path, endpoint);
}
