/**
 * A small raw REST client for the Kubernetes API. Raw on purpose: the sandbox controller and the activities handle
 * arbitrary kinds as plain JSON and must choose the patch content type exactly (apply-patch+yaml,
 * merge-patch+json); client-node's typed serializers drop fields they do not model. One keep-alive
 * agent per client, destroyed by close(), so a stopped controller leaves no sockets behind.
 *
 * Credentials are applied to every request through client-node's own auth handling
 * (`applyToHTTPSOptions`): it runs exec plugins (EKS, GKE; caching the credential until its
 * expirationTimestamp), refreshes OIDC tokens and re-reads token files, so a client built once
 * keeps working as they expire. Errors are KubeApiError (./errors.ts).
 */
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { endpointOf, isNotFound, isUnauthorized, KubeApiError, type KubeEndpoint } from './errors.js';

export {
  KubeApiError,
  isConflict,
  isForbidden,
  isNotFound,
  isTransient,
  isUnauthorized,
  type KubeEndpoint,
} from './errors.js';

/** What discovery says about a kind. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

type Json = Record<string, unknown>;

interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string>;
}

type HttpsOptions = https.RequestOptions & { headers?: Record<string, string | string[] | number> };

/** The TLS settings applyToHTTPSOptions returns, as one comparable string. */
function tlsKey(o: HttpsOptions): string {
  const part = (v: unknown) =>
    v === undefined || v === null ? '' : Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  return [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map(part).join('|');
}

/** An agent replaced by new TLS material closes after requests still on it had time to finish (timeout 30 s). */
const RETIRE_AFTER_MS = 60_000;

export class KubeRest {
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();
  private tls: { key: string; agent: https.Agent } | undefined;
  private readonly retired = new Set<https.Agent>();

  private constructor(
    private readonly kc: KubeConfig,
    private readonly base: URL,
    readonly endpoint: KubeEndpoint,
  ) {}

  /**
   * `cluster` is rewind's name for it (rewind.yaml), used in errors. Fails at once on credentials
   * client-node cannot produce.
   */
  static async create(kc: KubeConfig, cluster?: string): Promise<KubeRest> {
    const current = kc.getCurrentCluster();
    if (!current) throw new Error('kubeconfig has no current cluster');
    const rest = new KubeRest(kc, new URL(current.server), endpointOf(kc, cluster));
    await rest.credentials();
    return rest;
  }

  close(): void {
    this.tls?.agent.destroy();
    for (const a of this.retired) a.destroy();
    this.retired.clear();
  }

  /**
   * The credentials for one request. applyToHTTPSOptions builds a fresh agent on every call; it is
   * dropped, and the client's keep-alive agent is rebuilt only when the TLS material changed (an
   * exec plugin may hand out client certificates that rotate too).
   */
  private async credentials(): Promise<{ agent: https.Agent; headers: Record<string, string> }> {
    const opts: HttpsOptions = {};
    await this.kc.applyToHTTPSOptions(opts as never);
    (opts.agent as https.Agent | undefined)?.destroy();
    const key = tlsKey(opts);
    if (this.tls?.key !== key) {
      const old = this.tls?.agent;
      if (old) {
        this.retired.add(old);
        setTimeout(() => {
          old.destroy();
          this.retired.delete(old);
        }, RETIRE_AFTER_MS).unref();
      }
      const agent = new https.Agent({
        keepAlive: true,
        maxSockets: 8,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        pfx: opts.pfx,
        passphrase: opts.passphrase,
        ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      });
      this.tls = { key, agent };
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {}))
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return { agent: this.tls.agent, headers };
  }

  async request<T = Json>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const first = await this.credentials();
    try {
      return await this.send<T>(method, path, opts, first);
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
      // A credential that expired in flight (client-node keeps an exec credential up to its very
      // expiry) or was just rotated: ask once more with fresh credentials. A 401 is never applied.
      let next = await this.credentials();
      if (next.headers.authorization === first.headers.authorization) {
        await new Promise((r) => setTimeout(r, 1000));
        next = await this.credentials();
      }
      return this.send<T>(method, path, opts, next);
    }
  }

  private send<T>(
    method: string,
    path: string,
    opts: RequestOptions,
    auth: { agent: https.Agent; headers: Record<string, string> },
  ): Promise<T> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { ...auth.headers, accept: 'application/json' };
    if (payload) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, { method, agent: auth.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { message: text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(parsed as T);
            return;
          }
          const s = parsed as { reason?: string; message?: string };
          reject(
            new KubeApiError(status, s.reason ?? 'Unknown', s.message ?? text, method, url.pathname, this.endpoint),
          );
        });
      });
      req.setTimeout(30_000, () =>
        req.destroy(Object.assign(new Error(`${method} ${url.pathname}: timed out`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** GET that answers undefined for 404. */
  async get<T = Json>(path: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T = Json>(path: string, query?: Record<string, string>): Promise<T[]> {
    const out = await this.request<{ items?: T[] }>('GET', path, { query: query ?? {} });
    return out.items ?? [];
  }

  mergePatch<T = Json>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType: 'application/merge-patch+json' });
  }

  /** RFC 6902 JSON patch: replaces whole subtrees, where a merge patch would merge into them. */
  jsonPatch<T = Json>(path: string, ops: ReadonlyArray<{ op: string; path: string; value?: unknown }>): Promise<T> {
    return this.request<T>('PATCH', path, { body: ops, contentType: 'application/json-patch+json' });
  }

  /** Server-side apply (JSON is valid YAML, so the body is sent as JSON under the apply content type). */
  apply<T = Json>(path: string, obj: unknown, fieldManager: string, force = true): Promise<T> {
    return this.request<T>('PATCH', path, {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, ...(force ? { force: 'true' } : {}) },
    });
  }

  /** DELETE that treats 404 as done. */
  async delete(path: string, propagationPolicy: 'Background' | 'Foreground' = 'Background'): Promise<void> {
    try {
      await this.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Discovery for `apiVersion`/`kind`; re-reads the group version once when the kind is unknown (a CRD may be new). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let known = this.discovery.get(apiVersion);
    if (!known?.has(kind)) known = await this.discover(apiVersion);
    const info = known.get(kind);
    if (!info)
      throw new KubeApiError(
        404,
        'NotFound',
        `the server does not know kind ${kind} in ${apiVersion}`,
        'GET',
        apiVersion,
        this.endpoint,
      );
    return info;
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    const list = await this.get<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>(
      group ? `/apis/${group}/${version}` : `/api/${version}`,
    );
    const map = new Map<string, ResourceInfo>();
    for (const r of list?.resources ?? []) {
      if (r.name.includes('/')) continue; // subresources such as deployments/status
      map.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
    this.discovery.set(apiVersion, map);
    return map;
  }

  /** Collection path of a kind, in one namespace, or across all when `namespace` is undefined. */
  collectionPath(info: ResourceInfo, namespace?: string): string {
    const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    return info.namespaced && namespace !== undefined
      ? `${root}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
      : `${root}/${info.plural}`;
  }

  objectPath(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return (
      `${this.collectionPath(info, info.namespaced ? (namespace ?? 'default') : undefined)}` +
      `/${encodeURIComponent(name)}`
    );
  }
}
