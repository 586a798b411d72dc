/**
 * Live changes of the emergency path: read the object, try the patch server-side without
 * persisting it (dry run: a bad patch is refused before anything is paused), apply it
 * conditionally on the resourceVersion the plan saw, and compare it with what Git renders.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isDeepStrictEqual as isEqual } from 'node:util';
import type { GitSourceCache } from '../../src/gitops/git-source.js';
import { objectKey, renderManifests, type KubeObject } from '../../src/gitops/render.js';
import { patchedFields, valueAt } from '../../src/gitops/patch-paths.js';
import { clusterConfig, type Clusters } from '../../src/kube/clusters.js';
import { KubeApiError, kubeRequest } from '../../src/kube/raw-request.js';
import { objectPath } from '../../src/kube/resources.js';
import { FailureType, type FieldDrift, type LiveChange, type TargetSnapshot } from '../../workflows/types.js';

export interface LiveDeps { clusters: Clusters; sources: GitSourceCache }

const CONTENT = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json' } as const;

export interface PlannedChange { object: string; resourceVersion: string; before: KubeObject; after: KubeObject; fields: FieldDrift[] }

function refuse(message: string): never {
  throw ApplicationFailure.nonRetryable(message, FailureType.BadInput);
}

export function createLiveActivities(deps: LiveDeps) {
  const pathOf = async (target: TargetSnapshot, c: LiveChange) => {
    const kc = clusterConfig(deps.clusters, target.cluster);
    try {
      return { kc, path: await objectPath(kc, c.object.apiVersion, c.object.kind, c.object.namespace, c.object.name) };
    } catch (err) {
      refuse(`${c.object.kind} in ${c.object.apiVersion} is not served by the cluster: ${(err as Error).message}`);
    }
  };

  return {
    /** Reads each object and dry-runs its patch; refuses (non-retryable) unknown objects and invalid patches. */
    async planLiveChanges({ target, changes }: { target: TargetSnapshot; changes: LiveChange[] }): Promise<PlannedChange[]> {
      const out: PlannedChange[] = [];
      for (const c of changes) {
        if (c.object.namespace !== target.namespace) refuse(`${c.object.kind}/${c.object.name} is in namespace ${c.object.namespace}, not in ${target.app}/${target.env}'s namespace ${target.namespace}`);
        const { kc, path } = await pathOf(target, c);
        let before: KubeObject;
        try { before = await kubeRequest<KubeObject>(kc, 'GET', path); } catch (err) {
          if (err instanceof KubeApiError && err.code === 404) refuse(`${c.object.kind}/${c.object.name} does not exist in ${c.object.namespace}; check the name (kubectl get ${c.object.kind.toLowerCase()} -n ${c.object.namespace})`);
          throw err;
        }
        let after: KubeObject;
        try { after = await kubeRequest<KubeObject>(kc, 'PATCH', `${path}?dryRun=All&fieldManager=rewind`, c.patch, CONTENT[c.patchType]); } catch (err) {
          if (err instanceof KubeApiError && err.code >= 400 && err.code < 500) refuse(`the API server refuses the patch for ${c.object.kind}/${c.object.name}: ${err.status?.message ?? err.message}`);
          throw err;
        }
        const fields = patchedFields(c.patch, before, c.patchType === 'strategic').map((f) => ({ path: f.pointer, desired: valueAt(after, f.pointer), live: valueAt(before, f.pointer) }));
        if (fields.every((f) => isEqual(f.desired, f.live))) refuse(`the patch changes nothing on ${c.object.kind}/${c.object.name}: live already has these values`);
        out.push({ object: objectKey(before), resourceVersion: String(before.metadata.resourceVersion ?? ''), before, after, fields });
      }
      return out;
    },

    /**
     * Applies one change, conditional on the resourceVersion the plan read. Idempotent: when live
     * already holds the patched values (a retry after a lost response), nothing is sent.
     */
    async patchLive({ target, change, resourceVersion }: { target: TargetSnapshot; change: LiveChange; resourceVersion: string }): Promise<{ before: string; after: string; reused: boolean }> {
      const { kc, path } = await pathOf(target, change);
      const live = await kubeRequest<KubeObject>(kc, 'GET', path);
      const fields = patchedFields(change.patch, live, change.patchType === 'strategic');
      const dry = await kubeRequest<KubeObject>(kc, 'PATCH', `${path}?dryRun=All&fieldManager=rewind`, change.patch, CONTENT[change.patchType]);
      if (fields.every((f) => isEqual(valueAt(live, f.pointer), valueAt(dry, f.pointer)))) {
        return { before: resourceVersion, after: String(live.metadata.resourceVersion), reused: true };
      }
      if (String(live.metadata.resourceVersion) !== resourceVersion) {
        throw ApplicationFailure.nonRetryable(`${change.object.kind}/${change.object.name} changed since the plan (resourceVersion ${resourceVersion} → ${String(live.metadata.resourceVersion)}); someone else is editing it. Look at it, then start a new run.`, FailureType.BadInput);
      }
      // Conditional: carrying resourceVersion makes the server refuse (409) if it moved since the read.
      const body = { ...change.patch, metadata: { ...((change.patch.metadata as object | undefined) ?? {}), resourceVersion } };
      const after = await kubeRequest<KubeObject>(kc, 'PATCH', `${path}?fieldManager=rewind`, body, CONTENT[change.patchType]);
      return { before: resourceVersion, after: String(after.metadata.resourceVersion), reused: false };
    },

    /** Whether Git (at the branch head, or `revision`) renders every field the changes set to its live value. */
    async gitMatchesLive({ target, changes, revision }: { target: TargetSnapshot; changes: LiveChange[]; revision?: string }): Promise<{ matches: boolean; revision: string; remaining: Array<FieldDrift & { object: string }> }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const source = deps.sources.get(target.repo.url);
      await source.fetch();
      const sha = revision ?? (await source.resolve(target.repo.branch));
      const rendered = await renderManifests(await source.checkout(sha), target.path);
      const remaining: Array<FieldDrift & { object: string }> = [];
      for (const c of changes) {
        const live = await kubeRequest<KubeObject>(kc, 'GET', await objectPath(kc, c.object.apiVersion, c.object.kind, c.object.namespace, c.object.name));
        const desired = rendered.find((o) => o.kind === c.object.kind && o.metadata.name === c.object.name && (o.metadata.namespace ?? target.namespace) === c.object.namespace);
        for (const f of patchedFields(c.patch, live, c.patchType === 'strategic')) {
          const d = desired ? valueAt(desired, f.pointer) : undefined, l = valueAt(live, f.pointer);
          if (!isEqual(d, l)) remaining.push({ object: objectKey(live), path: f.pointer, desired: d, live: l });
        }
      }
      return { matches: remaining.length === 0, revision: sha, remaining };
    },
  };
}
