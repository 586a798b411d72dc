/**
 * What Git renders for a target, as Argo CD's repo server would: fetch first (the revision may be a
 * commit pushed moments ago, such as the revert itself), resolve the branch head unless a revision
 * is given, render the environment's path, and put namespace-less objects in the target namespace.
 */
import type { GitSourceCache } from '../src/gitops/git-source.js';
import { renderManifests, type KubeObject } from '../src/gitops/render.js';
import type { TargetSnapshot } from '../workflows/types.js';

export async function renderTarget(sources: GitSourceCache, target: TargetSnapshot, revision?: string): Promise<{ sha: string; objects: KubeObject[] }> {
  const source = sources.get(target.repo.url);
  await source.fetch();
  const sha = revision ?? (await source.resolve(target.repo.branch));
  const objects = (await renderManifests(await source.checkout(sha), target.path)).map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? target.namespace } }));
  return { sha, objects };
}
