/**
 * A plain JSON request to the Kubernetes API with the credentials of a KubeConfig.
 * client-node's typed serializer only knows camelCase model properties and silently drops
 * raw keys such as `x-kubernetes-preserve-unknown-fields`, so objects read from YAML that
 * must reach the server verbatim (CRDs, server-side apply bodies) go through here.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';

export class KubeApiError extends Error {
  constructor(readonly code: number, readonly status: { reason?: string; message?: string } | undefined, method: string, path: string) {
    super(`${method} ${path}: ${code} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim());
    this.name = 'KubeApiError';
  }
}

export async function kubeRequest<T = unknown>(kc: KubeConfig, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: https.RequestOptions = { method, headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  if (payload) Object.assign(opts.headers as Record<string, string>, { 'content-type': contentType, 'content-length': String(payload.length) });
  return new Promise<T>((resolve, reject) => {
    const req = https.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed = text ? (JSON.parse(text) as unknown) : undefined;
        if ((res.statusCode ?? 500) >= 400) reject(new KubeApiError(res.statusCode ?? 500, parsed as never, method, path));
        else resolve(parsed as T);
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
