/**
 * Does a registry still hold an image? One HEAD of its manifest through the OCI distribution API
 * (`HEAD /v2/<name>/manifests/<tag or digest>`), with the token handshake registries use for
 * anonymous and authenticated pulls alike: a 401 names a token service (`WWW-Authenticate:
 * Bearer realm=…,service=…,scope=…`), whose token the second request carries. 200 is present,
 * 404 (MANIFEST_UNKNOWN, NAME_UNKNOWN) is gone; anything else is "could not tell", never a verdict.
 */

/** `ghcr.io/acme/users-api:1.42.0` split as a registry sees it. */
export interface ImageRef {
  host: string;
  name: string;
  /** Tag or `sha256:…` digest. */
  reference: string;
}

/**
 * Parses an image reference the way container runtimes do: the first path component is a host
 * when it has a dot or a port or is `localhost`, else the image is on Docker Hub (`docker.io`,
 * `library/` for single names). A digest wins over a tag; neither means `latest`.
 */
export function parseImageRef(image: string): ImageRef | undefined {
  const m = /^([^@]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image.trim());
  if (!m) return undefined;
  const [, path = '', tag, digest] = m;
  const parts = path.split('/');
  let host = 'docker.io';
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) host = parts.shift()!;
  let name = parts.join('/');
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(name))
    return undefined;
  if (host === 'docker.io' && !name.includes('/')) name = `library/${name}`;
  return { host, name, reference: digest ?? tag ?? 'latest' };
}

/** The parameters of a `Bearer` challenge, or undefined for any other scheme. */
export function bearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return params.realm ? params : undefined;
}

export type ManifestAnswer =
  | { state: 'present'; digest?: string }
  | { state: 'missing'; detail: string }
  | { state: 'unknown'; detail: string };

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ManifestQuery {
  /** API base URL (`https://ghcr.io`); `/v2/…` is appended. */
  url: string;
  image: ImageRef;
  credentials?: { username: string; password: string };
  timeoutMs?: number;
}

/** Whether the registry holds the image's manifest. Never throws. */
export async function manifestExists(q: ManifestQuery): Promise<ManifestAnswer> {
  const base = q.url.replace(/\/+$/, '');
  const target = `${base}/v2/${q.image.name}/manifests/${q.image.reference}`;
  const signal = AbortSignal.timeout(q.timeoutMs ?? 10_000);
  const basic = q.credentials
    ? `Basic ${Buffer.from(`${q.credentials.username}:${q.credentials.password}`).toString('base64')}`
    : undefined;
  try {
    let res = await fetch(target, { method: 'HEAD', headers: { accept: ACCEPT }, signal });
    if (res.status === 401) {
      const challenge = bearerChallenge(res.headers.get('www-authenticate'));
      let auth: string | undefined;
      if (challenge) {
        const tokenUrl = new URL(challenge.realm!);
        if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
        tokenUrl.searchParams.set('scope', challenge.scope ?? `repository:${q.image.name}:pull`);
        const t = await fetch(tokenUrl, { headers: basic ? { authorization: basic } : {}, signal });
        if (!t.ok) return { state: 'unknown', detail: `its token service ${tokenUrl.origin} answered ${t.status}` };
        const body = (await t.json()) as { token?: string; access_token?: string };
        const token = body.token ?? body.access_token;
        if (!token) return { state: 'unknown', detail: `its token service ${tokenUrl.origin} gave no token` };
        auth = `Bearer ${token}`;
      } else if (basic) {
        auth = basic;
      }
      if (!auth)
        return { state: 'unknown', detail: 'it asks for credentials (set usernameEnv and passwordEnv in registries:)' };
      res = await fetch(target, { method: 'HEAD', headers: { accept: ACCEPT, authorization: auth }, signal });
    }
    if (res.ok) {
      const digest = res.headers.get('docker-content-digest');
      return { state: 'present', ...(digest ? { digest } : {}) };
    }
    if (res.status === 404) return { state: 'missing', detail: 'manifest unknown (HTTP 404)' };
    if (res.status === 401 || res.status === 403)
      return { state: 'unknown', detail: `it refused rewind's credentials (HTTP ${res.status})` };
    return { state: 'unknown', detail: `it answered HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return {
      state: 'unknown',
      detail:
        e.name === 'TimeoutError'
          ? 'it did not answer in time'
          : `it could not be reached (${e.cause?.code ?? e.cause?.message ?? e.message})`,
    };
  }
}
