/**
 * Renders an environment path as it was at a commit, from the commit's files (the mirror's cached
 * tree, or a temporary worktree of the writable clone).
 * Renders are memoized per call site by the content of every path the environment pulls in, so
 * walking a history where most commits touch other apps costs one render per distinct state.
 */
import { renderManifests, type KubeObject } from '../gitops/render.js';
import { pathObject, pathType } from './git-read.js';
import { kustomizeSourcePaths } from './kustomize-sources.js';
import type { ReadView } from './read-view.js';

export type RenderAt = (sha: string) => Promise<KubeObject[]>;

export interface RenderAtOptions {
  /** kustomize binary; default: renderManifests' own lookup. */
  kustomize?: string;
}

export function createRenderAt(clone: ReadView, envPath: string, options: RenderAtOptions = {}): RenderAt {
  const cache = new Map<string, Promise<KubeObject[]>>();
  return async (sha) => {
    // An environment that did not exist yet renders to nothing: its first commit adds everything.
    if ((await pathType(clone.git, sha, envPath)) !== 'tree') return [];
    const sources = await kustomizeSourcePaths(clone.git, sha, envPath);
    const key = (await Promise.all(sources.map(async (p) => `${p}=${await pathObject(clone.git, sha, p)}`))).join('\n');
    let rendered = cache.get(key);
    if (!rendered) {
      rendered = clone.withTree(sha, (dir) =>
        renderManifests(dir, envPath, options.kustomize ? { kustomize: options.kustomize } : {}),
      );
      cache.set(key, rendered);
      rendered.catch(() => cache.delete(key));
    }
    return rendered;
  };
}
