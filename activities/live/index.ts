/**
 * Live changes of the emergency path: read the object, try the patch server-side without
 * persisting it (dry run: a bad patch is refused before anything is paused), apply it
 * conditionally on the resourceVersion the plan saw, and compare it with what Git renders.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isDeepStrictEqual as isEqual } from 'node:util';
import type { GitSourceCache } from '../../src/gitops/git-source.js';
import { remainingFields } from '../../src/git/live-render-check.js';
import { objectKey, type KubeObject } from '../../src/gitops/render.js';
import { renderTarget } from '../render-target.js';
import { patchedFields, valueAt } from '../../src/gitops/patch-paths.js';
import { clusterConfig, type Clusters } from '../../src/kube/clusters.js';
import { KubeApiError, type KubeRest } from '../../src/kube/rest.js';
import { restFor } from '../../src/kube/rest-pool.js';
import { FailureType, type FieldDrift, type LiveChange, type TargetSnapshot } from '../../workflows/types.js';

export interface LiveDeps { clusters: Clusters; sources: GitSourceCache }

const CONTENT = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json' } as const;

export interface PlannedChange { object: string; resourceVersion: string; before: KubeObject; after: KubeObject; fields: FieldDrift[] }

function refuse(message: string): never {
  throw ApplicationFailure.nonRetryable(message, FailureType.BadInput);
}

export function createLiveActivities(deps: LiveDeps) {
  const pathOf = async (target: TargetSnapshot, c: LiveChange): Promise<{ rest: KubeRest; path: string }> => {
    const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
    try {
      return { rest, path: rest.objectPath(await rest.resource(c.object.apiVersion, c.object.kind), c.object.namespace, c.object.name) };
    } catch (err) {
      refuse(`${c.object.kind} in ${c.object.apiVersion} is not served by the cluster: ${(err as Error).message}`);
    }
  };
  const patch = (rest: KubeRest, path: string, c: LiveChange, body: unknown, dryRun: boolean) =>
    rest.request<KubeObject>('PATCH', path, { body, contentType: CONTENT[c.patchType], query: { fieldManager: 'rewind', ...(dryRun ? { dryRun: 'All' } : {}) } });

  return {
    /** Reads each object and dry-runs its patch; refuses (non-retryable) unknown objects and invalid patches. */
    async planLiveChanges({ target, changes }: { target: TargetSnapshot; changes: LiveChange[] }): Promise<PlannedChange[]> {
      const out: PlannedChange[] = [];
      for (const c of changes) {
        if (c.object.namespace !== target.namespace) refuse(`${c.object.kind}/${c.object.name} is in namespace ${c.object.namespace}, not in ${target.app}/${target.env}'s namespace ${target.namespace}`);
        const { rest, path } = await pathOf(target, c);
        let before: KubeObject | undefined;
        try { before = await rest.get<KubeObject>(path); } catch (err) {
          // Forbidden is not transient: say which right is missing instead of retrying.
          if (err instanceof KubeApiError && err.status === 403) refuse(`rewind may not read ${c.object.kind}/${c.object.name} in ${c.object.namespace} (${err.serverMessage}); the emergency policy does not cover this kind: see deploy/base/rbac.yaml`);
          throw err;
        }
        if (!before) refuse(`${c.object.kind}/${c.object.name} does not exist in ${c.object.namespace}; check the name (kubectl get ${c.object.kind.toLowerCase()} -n ${c.object.namespace})`);
        let after: KubeObject;
        try { after = await patch(rest, path, c, c.patch, true); } catch (err) {
          if (err instanceof KubeApiError && err.status >= 400 && err.status < 500) refuse(`the API server refuses the patch for ${c.object.kind}/${c.object.name}: ${err.serverMessage}`);
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
      const { rest, path } = await pathOf(target, change);
      const live = await rest.get<KubeObject>(path);
      if (!live) throw ApplicationFailure.nonRetryable(`${change.object.kind}/${change.object.name} was deleted since the plan`, FailureType.BadInput);
      const fields = patchedFields(change.patch, live, change.patchType === 'strategic');
      const dry = await patch(rest, path, change, change.patch, true);
      if (fields.every((f) => isEqual(valueAt(live, f.pointer), valueAt(dry, f.pointer)))) {
        return { before: resourceVersion, after: String(live.metadata.resourceVersion), reused: true };
      }
      if (String(live.metadata.resourceVersion) !== resourceVersion) {
        throw ApplicationFailure.nonRetryable(`${change.object.kind}/${change.object.name} changed since the plan (resourceVersion ${resourceVersion} → ${String(live.metadata.resourceVersion)}); someone else is editing it. Look at it, then start a new run.`, FailureType.BadInput);
      }
      // Conditional: carrying resourceVersion makes the server refuse (409) if it moved since the read.
      const body = { ...change.patch, metadata: { ...((change.patch.metadata as object | undefined) ?? {}), resourceVersion } };
      const after = await patch(rest, path, change, body, false);
      return { before: resourceVersion, after: String(after.metadata.resourceVersion), reused: false };
    },

    /** Whether Git (at the branch head, or `revision`) renders every field the changes set to its live value. */
    async gitMatchesLive({ target, changes, revision }: { target: TargetSnapshot; changes: LiveChange[]; revision?: string }): Promise<{ matches: boolean; revision: string; remaining: Array<FieldDrift & { object: string }> }> {
      const { sha, objects: rendered } = await renderTarget(deps.sources, target, revision);
      const live: KubeObject[] = [];
      for (const c of changes) {
        const { rest, path } = await pathOf(target, c);
        const obj = await rest.get<KubeObject>(path);
        if (!obj) throw ApplicationFailure.nonRetryable(`${c.object.kind}/${c.object.name} no longer exists live`, FailureType.BadInput);
        live.push(obj);
      }
      // The same by-name comparison the plan used (src/git/live-render-check.ts), so the gate can
      // never refuse what the plan accepted because Git and live order a list differently.
      const remaining = remainingFields(rendered, changes, live, target.namespace);
      return { matches: remaining.length === 0, revision: sha, remaining };
    },
  };
}
