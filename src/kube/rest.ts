/**
 * A small raw REST client for the Kubernetes API. Raw on purpose: the sandbox controller and the activities handle
 * arbitrary kinds as plain JSON and must choose the patch content type exactly (apply-patch+yaml,
 * merge-patch+json); client-node's typed serializers drop fields they do not model. One keep-alive
 * agent per client, destroyed by close(), so a stopped controller leaves no sockets behind.
 */
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** Thrown when the API server answers with an error status; carries the Status reason and the request. */
export class KubeApiError extends Error {
  constructor(readonly status: number, readonly reason: string, readonly serverMessage: string, readonly method: string, readonly path: string) {
    super(`${method} ${path}: ${status} ${reason}: ${serverMessage}`);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;

/** What discovery says about a kind. */
export interface ResourceInfo { group: string; version: string; kind: string; plural: string; namespaced: boolean }

type Json = Record<string, unknown>;

interface RequestOptions { body?: unknown; contentType?: string; query?: Record<string, string> }

export class KubeRest {
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  private constructor(private readonly base: URL, private readonly agent: https.Agent, private readonly headers: Record<string, string>) {}

  static async create(kc: KubeConfig): Promise<KubeRest> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const opts: https.RequestOptions & { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts as never);
    // applyToHTTPSOptions builds its own agent per call; keep our single keep-alive one instead.
    (opts.agent as https.Agent | undefined)?.destroy();
    const agent = new https.Agent({
      keepAlive: true, maxSockets: 8, ca: opts.ca, cert: opts.cert, key: opts.key,
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
    return new KubeRest(new URL(cluster.server), agent, { ...(opts.headers ?? {}) });
  }

  close(): void { this.agent.destroy(); }

  request<T = Json>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { ...this.headers, accept: 'application/json' };
    if (payload) { headers['content-type'] = opts.contentType ?? 'application/json'; headers['content-length'] = String(payload.length); }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = text ? JSON.parse(text) : {}; } catch { parsed = { message: text }; }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) { resolve(parsed as T); return; }
          const s = parsed as { reason?: string; message?: string };
          reject(new KubeApiError(status, s.reason ?? 'Unknown', s.message ?? text, method, url.pathname));
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** GET that answers undefined for 404. */
  async get<T = Json>(path: string): Promise<T | undefined> {
    try { return await this.request<T>('GET', path); } catch (err) { if (isNotFound(err)) return undefined; throw err; }
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
      body: obj, contentType: 'application/apply-patch+yaml',
      query: { fieldManager, ...(force ? { force: 'true' } : {}) },
    });
  }

  /** DELETE that treats 404 as done. */
  async delete(path: string, propagationPolicy: 'Background' | 'Foreground' = 'Background'): Promise<void> {
    try {
      await this.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } });
    } catch (err) { if (!isNotFound(err)) throw err; }
  }

  /** Discovery for `apiVersion`/`kind`; re-reads the group version once when the kind is unknown (a CRD may be new). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let known = this.discovery.get(apiVersion);
    if (!known?.has(kind)) known = await this.discover(apiVersion);
    const info = known.get(kind);
    if (!info) throw new KubeApiError(404, 'NotFound', `the server does not know kind ${kind} in ${apiVersion}`, 'GET', apiVersion);
    return info;
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    const list = await this.get<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>(group ? `/apis/${group}/${version}` : `/api/${version}`);
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
    return info.namespaced && namespace !== undefined ? `${root}/namespaces/${encodeURIComponent(namespace)}/${info.plural}` : `${root}/${info.plural}`;
  }

  objectPath(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${this.collectionPath(info, info.namespaced ? namespace ?? 'default' : undefined)}/${encodeURIComponent(name)}`;
  }
}
