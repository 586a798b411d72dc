/**
 * Who a kubeconfig's credentials are, in the API server's own words: a SelfSubjectReview, what
 * `kubectl auth whoami` sends. The server authenticates the request (certificate, token, OIDC, an
 * exec plugin's credential) and answers with the user it resolved it to; nothing is stored. Every
 * authenticated user may ask (the bootstrap ClusterRole system:basic-user grants it).
 */
import { isNotFound, type KubeRest } from './rest.js';

/** The user an API server resolved a request's credentials to. */
export interface KubeUserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

/** authentication.k8s.io/v1 since Kubernetes 1.28; v1beta1 in 1.27 (kubectl falls back the same way). */
const VERSIONS = ['v1', 'v1beta1'] as const;

/**
 * Asks the server `rest` talks to who its credentials are.
 * @throws KubeApiError (401: the credentials were not accepted; 404: the server has no
 * SelfSubjectReview API), or a connection error.
 */
export async function selfSubjectReview(rest: KubeRest): Promise<KubeUserInfo> {
  let first: unknown;
  for (const version of VERSIONS) {
    try {
      const review = await rest.request<{
        status?: { userInfo?: { username?: string; uid?: string; groups?: string[] } };
      }>('POST', `/apis/authentication.k8s.io/${version}/selfsubjectreviews`, {
        body: { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' },
      });
      const info = review.status?.userInfo;
      return { username: info?.username ?? '', ...(info?.uid ? { uid: info.uid } : {}), groups: info?.groups ?? [] };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      first ??= err;
    }
  }
  throw first;
}
