/**
 * What every reconciler of the sandbox controller shares: the API client, the per-tick live
 * snapshot, the Git source cache and a render cache keyed by repo, commit and path (a commit's
 * manifests never change, so only a hard refresh drops them).
 */
import type { Logger } from 'pino';
import type { GitSourceCache } from '../../lib/gitops/git-source.js';
import { renderManifests, sourceTypeOf, type KubeObject, type SourceType } from '../../lib/gitops/render.js';
import { KubeApiError, type KubeRest } from '../../lib/kube/rest.js';
import type { LiveSnapshot } from './live-snapshot.js';

export interface Settings {
  argoNamespace: string;
  fluxNamespace: string;
  pollIntervalMs: number;
  selfHealDelayMs: number;
}

export interface Rendered {
  objects: KubeObject[];
  sourceType: SourceType;
}

export class Runtime {
  snapshot: LiveSnapshot;
  private readonly renders = new Map<string, Promise<Rendered>>();

  constructor(
    readonly rest: KubeRest,
    readonly sources: GitSourceCache,
    readonly settings: Settings,
    readonly log: Logger,
    snapshot: LiveSnapshot,
  ) {
    this.snapshot = snapshot;
  }

  now(): number {
    return Date.now();
  }

  /**
   * Transient API trouble (429 while storage initialises, 5xx, a dropped connection) is retried next tick: debug only.
   */
  logError(err: unknown, ctx: Record<string, unknown>, msg: string): void {
    const status = err instanceof KubeApiError ? err.status : 0;
    const code = (err as { code?: string }).code;
    const transient = status === 429 || status >= 500 || code === 'ECONNRESET' || code === 'ECONNREFUSED';
    this.log[transient ? 'debug' : 'error']({ ...ctx, err: (err as Error).message }, msg);
  }

  /** Kubernetes `metav1.Time` format: RFC 3339 in UTC, whole seconds. */
  timestamp(ms = this.now()): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Rendered manifests of `relPath` at `sha` (a full commit sha from GitSource.resolve). */
  render(repoURL: string, sha: string, relPath: string): Promise<Rendered> {
    const key = `${repoURL}\0${sha}\0${relPath}`;
    let p = this.renders.get(key);
    if (!p) {
      p = this.sources.get(repoURL).withTree(sha, async (dir) => ({
        objects: await renderManifests(dir, relPath || '.'),
        sourceType: await sourceTypeOf(dir, relPath || '.'),
      }));
      p.catch(() => this.renders.delete(key));
      this.renders.set(key, p);
    }
    return p.then((r) => ({ objects: structuredClone(r.objects), sourceType: r.sourceType }));
  }

  /** Forgets rendered manifests of a repo (Argo's hard refresh). */
  dropRenders(repoURL: string): void {
    for (const key of this.renders.keys()) if (key.startsWith(`${repoURL}\0`)) this.renders.delete(key);
  }

  /**
   * Puts `namespace` on every namespaced object that has none (Argo destination namespace, Flux
   * targetNamespace when `force`).
   */
  async defaultNamespace(objects: KubeObject[], namespace: string | undefined, force = false): Promise<void> {
    if (!namespace) return;
    for (const o of objects) {
      const info = await this.snapshot.resource(o.apiVersion, o.kind).catch(() => undefined);
      // Unknown kinds (CRD not installed yet) are treated as namespaced, as kustomize does.
      if (info && !info.namespaced) continue;
      if (force || !o.metadata.namespace) o.metadata.namespace = namespace;
    }
  }
}
