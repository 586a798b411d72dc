/**
 * Live changes of the emergency path: read the object, try the patch server-side without
 * persisting it (dry run: a bad patch is refused before anything is paused), apply it
 * conditionally on the resourceVersion the plan saw, and compare it with what Git renders.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isDeepStrictEqual as isEqual } from 'node:util';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { remainingFields } from '../../src/lib/git/live-render-check.js';
import { objectKey, type KubeObject } from '../../src/lib/gitops/render.js';
import { renderTarget } from '../render-target.js';
import { patchedFields, valueAt } from '../../src/lib/gitops/patch-paths.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { isForbidden, isUnauthorized, KubeApiError, type KubeRest } from '../../src/lib/kube/rest.js';
import { notAuthorized, RBAC_FILE } from '../kube-failures.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import { FailureType, type FieldDrift, type LiveChange, type TargetSnapshot } from '../../workflows/types.js';
import {
  configReaders,
  describeReader,
  type ConfigKind,
  type ConfigReader,
  type WorkloadLike,
} from '../../src/lib/emergency/config-readers.js';

export interface LiveDeps {
  clusters: Clusters;
  sources: GitSourceCache;
}

const CONTENT = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json' } as const;

export interface PlannedChange {
  object: string;
  resourceVersion: string;
  before: KubeObject;
  after: KubeObject;
  fields: FieldDrift[];
  /**
   * For a ConfigMap or Secret: which workloads read the changed keys, and how the change reaches
   * them (`description` for the plan).
   */
  readers: Array<ConfigReader & { description: string }>;
}

const WORKLOAD_KINDS = [
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'DaemonSet'],
] as const;

/** The keys a ConfigMap/Secret patch changes (`/data/KEY`, `/stringData/KEY`, `/binaryData/KEY`). */
const changedKeys = (fields: FieldDrift[]): string[] => [
  ...new Set(
    fields
      .map((f) => /^\/(?:data|stringData|binaryData)\/([^/]+)$/.exec(f.path)?.[1])
      .filter((k): k is string => !!k)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~')),
  ),
];

function refuse(message: string): never {
  throw ApplicationFailure.nonRetryable(message, FailureType.BadInput);
}

/** kubectl's convention for `kubectl rollout restart`. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The path of a workload named like `deployment/users-api`; refuses kinds rewind cannot restart. */
async function workloadPath(rest: KubeRest, namespace: string, ref: string): Promise<string> {
  const [kind = '', name = ''] = ref.split('/');
  const api = WORKLOAD_KINDS.find(([, k]) => k.toLowerCase() === kind);
  if (!api) refuse(`rewind cannot restart ${ref}: only deployments, statefulsets and daemonsets`);
  return rest.objectPath(await rest.resource(api[0], api[1]), namespace, name);
}

const restartPatch = (restartedAt: string) => ({
  spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } },
});

/**
 * A server-side dry run of the restart: a workload rewind may not restart is refused in the plan,
 * before anything is paused.
 */
async function dryRunRestart(rest: KubeRest, target: TargetSnapshot, ref: string): Promise<void> {
  try {
    await rest.request('PATCH', await workloadPath(rest, target.namespace, ref), {
      body: restartPatch(new Date().toISOString()),
      contentType: CONTENT.strategic,
      query: { fieldManager: 'rewind', dryRun: 'All' },
    });
  } catch (err) {
    if (isForbidden(err))
      throw notAuthorized(
        `${ref} reads the changed keys through env and needs a restart to see them, but rewind may not restart ` +
          `it (${(err as KubeApiError).serverMessage}); grant patch on it (${RBAC_FILE}), or change it yourself`,
        err as KubeApiError,
      );
    throw err;
  }
}

async function workloadsIn(rest: KubeRest, namespace: string): Promise<Array<KubeObject & WorkloadLike>> {
  const lists = await Promise.all(
    WORKLOAD_KINDS.map(async ([apiVersion, kind]) =>
      (
        await rest.list<KubeObject & WorkloadLike>(
          rest.collectionPath(await rest.resource(apiVersion, kind), namespace),
        )
      ).map((o) => ({ ...o, kind })),
    ),
  );
  return lists.flat();
}

export function createLiveActivities(deps: LiveDeps) {
  const pathOf = async (target: TargetSnapshot, c: LiveChange): Promise<{ rest: KubeRest; path: string }> => {
    const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
    try {
      return {
        rest,
        path: rest.objectPath(
          await rest.resource(c.object.apiVersion, c.object.kind),
          c.object.namespace,
          c.object.name,
        ),
      };
    } catch (err) {
      refuse(`${c.object.kind} in ${c.object.apiVersion} is not served by the cluster: ${(err as Error).message}`);
    }
  };
  const patch = (rest: KubeRest, path: string, c: LiveChange, body: unknown, dryRun: boolean) =>
    rest.request<KubeObject>('PATCH', path, {
      body,
      contentType: CONTENT[c.patchType],
      query: { fieldManager: 'rewind', ...(dryRun ? { dryRun: 'All' } : {}) },
    });

  return {
    /** Reads each object and dry-runs its patch; refuses (non-retryable) unknown objects and invalid patches. */
    async planLiveChanges({
      target,
      changes,
    }: {
      target: TargetSnapshot;
      changes: LiveChange[];
    }): Promise<PlannedChange[]> {
      const out: PlannedChange[] = [];
      for (const c of changes) {
        if (c.object.namespace !== target.namespace)
          refuse(
            `${c.object.kind}/${c.object.name} is in namespace ${c.object.namespace}, ` +
              `not in ${target.app}/${target.env}'s namespace ${target.namespace}`,
          );
        const { rest, path } = await pathOf(target, c);
        let before: KubeObject | undefined;
        try {
          before = await rest.get<KubeObject>(path);
        } catch (err) {
          // Forbidden is not transient: say which right is missing instead of retrying.
          if (isForbidden(err))
            throw notAuthorized(
              `rewind may not read ${c.object.kind}/${c.object.name} in ` +
                `${c.object.namespace} (${(err as KubeApiError).serverMessage}); ` +
                `the emergency policy does not cover this kind: see ${RBAC_FILE}`,
              err as KubeApiError,
            );
          throw err;
        }
        if (!before)
          refuse(
            `${c.object.kind}/${c.object.name} does not exist in ${c.object.namespace}; check ` +
              `the name (kubectl get ${c.object.kind.toLowerCase()} -n ${c.object.namespace})`,
          );
        let after: KubeObject;
        try {
          after = await patch(rest, path, c, c.patch, true);
        } catch (err) {
          if (isForbidden(err))
            throw notAuthorized(
              `the API server refuses the patch for ${c.object.kind}/${c.object.name}: ` +
                `${(err as KubeApiError).serverMessage}; grant patch on it in ${RBAC_FILE}`,
              err as KubeApiError,
            );
          // A refused credential is not the patch's fault: withKubeAuthFailures reports it.
          if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && !isUnauthorized(err))
            refuse(`the API server refuses the patch for ${c.object.kind}/${c.object.name}: ${err.serverMessage}`);
          throw err;
        }
        const fields = patchedFields(c.patch, before, c.patchType === 'strategic').map((f) => ({
          path: f.pointer,
          desired: valueAt(after, f.pointer),
          live: valueAt(before, f.pointer),
        }));
        if (fields.every((f) => isEqual(f.desired, f.live)))
          refuse(`the patch changes nothing on ${c.object.kind}/${c.object.name}: live already has these values`);
        const readers =
          c.object.kind === 'ConfigMap' || c.object.kind === 'Secret'
            ? configReaders(
                await workloadsIn(rest, target.namespace),
                c.object.kind,
                c.object.name,
                changedKeys(fields),
              ).map((r) => ({ ...r, description: describeReader(r, c.object.kind as ConfigKind, c.object.name) }))
            : [];
        for (const w of new Set(readers.filter((r) => r.needsRestart).map((r) => r.workload)))
          await dryRunRestart(rest, target, w);
        out.push({
          object: objectKey(before),
          resourceVersion: String(before.metadata.resourceVersion ?? ''),
          before,
          after,
          fields,
          readers,
        });
      }
      return out;
    },

    /**
     * Restarts workloads the way `kubectl rollout restart` does (a `restartedAt` annotation on the
     * pod template), so containers that read a changed ConfigMap/Secret through env start again
     * with the new value. Idempotent: the timestamp comes from the run, so a retry changes nothing.
     * Neither engine undoes it on resume: Argo CD's diff ignores fields absent from Git and from
     * its last-applied configuration, and Flux's server-side apply owns only the fields it applies.
     */
    async restartWorkloads({
      target,
      workloads,
      restartedAt,
    }: {
      target: TargetSnapshot;
      workloads: string[];
      restartedAt: string;
    }): Promise<Array<{ workload: string; generation: number; reused: boolean }>> {
      const rest = await restFor(clusterConfig(deps.clusters, target.cluster));
      const out = [];
      for (const ref of workloads) {
        const path = await workloadPath(rest, target.namespace, ref);
        const live = await rest.get<
          KubeObject & { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }
        >(path);
        if (!live) refuse(`${ref} does not exist in ${target.namespace} any more`);
        if (live.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === restartedAt) {
          out.push({ workload: ref, generation: Number(live.metadata.generation ?? 0), reused: true });
          continue;
        }
        const after = await rest.request<KubeObject>('PATCH', path, {
          body: restartPatch(restartedAt),
          contentType: CONTENT.strategic,
          query: { fieldManager: 'rewind' },
        });
        out.push({ workload: ref, generation: Number(after.metadata.generation ?? 0), reused: false });
      }
      return out;
    },

    /**
     * Applies one change, conditional on the resourceVersion the plan read. Idempotent: when live
     * already holds the patched values (a retry after a lost response), nothing is sent.
     */
    async patchLive({
      target,
      change,
      resourceVersion,
    }: {
      target: TargetSnapshot;
      change: LiveChange;
      resourceVersion: string;
    }): Promise<{ before: string; after: string; reused: boolean }> {
      const { rest, path } = await pathOf(target, change);
      const live = await rest.get<KubeObject>(path);
      if (!live)
        throw ApplicationFailure.nonRetryable(
          `${change.object.kind}/${change.object.name} was deleted since the plan`,
          FailureType.BadInput,
        );
      const fields = patchedFields(change.patch, live, change.patchType === 'strategic');
      const dry = await patch(rest, path, change, change.patch, true);
      if (fields.every((f) => isEqual(valueAt(live, f.pointer), valueAt(dry, f.pointer)))) {
        return { before: resourceVersion, after: String(live.metadata.resourceVersion), reused: true };
      }
      if (String(live.metadata.resourceVersion) !== resourceVersion) {
        throw ApplicationFailure.nonRetryable(
          `${change.object.kind}/${change.object.name} changed since the plan ` +
            `(resourceVersion ${resourceVersion} → ${String(live.metadata.resourceVersion)}); ` +
            `someone else is editing it. Look at it, then start a new run.`,
          FailureType.BadInput,
        );
      }
      // Conditional: carrying resourceVersion makes the server refuse (409) if it moved since the read.
      const body = {
        ...change.patch,
        metadata: { ...((change.patch.metadata as object | undefined) ?? {}), resourceVersion },
      };
      const after = await patch(rest, path, change, body, false);
      return { before: resourceVersion, after: String(after.metadata.resourceVersion), reused: false };
    },

    /** Whether Git (at the branch head, or `revision`) renders every field the changes set to its live value. */
    async gitMatchesLive({
      target,
      changes,
      revision,
    }: {
      target: TargetSnapshot;
      changes: LiveChange[];
      revision?: string;
    }): Promise<{ matches: boolean; revision: string; remaining: Array<FieldDrift & { object: string }> }> {
      const { sha, objects: rendered } = await renderTarget(deps.sources, target, revision);
      const live: KubeObject[] = [];
      for (const c of changes) {
        const { rest, path } = await pathOf(target, c);
        const obj = await rest.get<KubeObject>(path);
        if (!obj)
          throw ApplicationFailure.nonRetryable(
            `${c.object.kind}/${c.object.name} no longer exists live`,
            FailureType.BadInput,
          );
        live.push(obj);
      }
      // The same by-name comparison the plan used (src/lib/git/live-render-check.ts), so the gate can
      // never refuse what the plan accepted because Git and live order a list differently.
      const remaining = remainingFields(rendered, changes, live, target.namespace);
      return { matches: remaining.length === 0, revision: sha, remaining };
    },
  };
}
