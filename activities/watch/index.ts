/**
 * Activities of the per-target watch: observe a target's live objects and record who changed
 * which field (live edits), and which syncs overwrote what live held (overwrites), because after
 * the sync the cluster no longer says: managedFields are re-owned by the engine, Argo CD keeps
 * only "configmap/users-api-env configured", Flux only an event. The journal itself lives in
 * targetWatchWorkflow; `recentOverwrites` reads it back for runbook steps.
 */
import { getClient } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import { queryJournal } from '../../src/lib/watch/journal-client.js';
import { FailureType, type TargetSnapshot } from '../../workflows/types.js';
import type { ObserveInput, ObserveResult, RecentOverwrites } from '../../workflows/watch/types.js';
import { engineFor } from '../gitops/engines.js';
import { cancellationSignal, heartbeat } from '../heartbeat.js';
import { withGitHeldEdits } from './git-held.js';
import { observe, WATCHED_KINDS, type Collection } from './observe-target.js';
import { emptyState, WatchMemory } from './watch-memory.js';

export interface WatchDeps {
  clusters: Clusters;
  sources: GitSourceCache;
}

const targetKey = (t: TargetSnapshot) => `${t.cluster}/${t.app}/${t.env}`;

export function createWatchActivities(deps: WatchDeps) {
  // One per worker: the object versions between calls (see watch-memory.ts).
  const memory = new WatchMemory();

  return {
    /**
     * Watches the target's ConfigMaps, Secrets, Services, Deployments, StatefulSets and DaemonSets
     * and its engine object, and returns the live edits and sync overwrites seen, batched for a
     * second after the first one, or nothing after `maxMs`. Resumes from `cursor`: from the
     * versions this worker holds, else from the objects as they were at the cursor's
     * resourceVersions (listed exactly at them). Without a cursor, or once etcd has compacted
     * its revision, it lists everything as a new baseline (`baselineAt`) and returns at once: a
     * change made while nobody watched has no before-value. Heartbeats every 5 s; a cancelled
     * activity stops at once.
     */
    async observeTarget({ target, cursor, maxMs, knownRevision }: ObserveInput): Promise<ObserveResult> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const rest = await restFor(kc);
      const collections: Collection[] = await Promise.all(
        WATCHED_KINDS.map(async ({ apiVersion, kind }) => ({
          key: kind,
          path: rest.collectionPath(await rest.resource(apiVersion, kind), target.namespace),
          engineObject: false,
        })),
      );
      for (const p of engineFor(kc, target.engine).watchPaths())
        collections.push({ key: 'engine', path: p.path, fieldSelector: p.fieldSelector, engineObject: true });
      const key = targetKey(target);
      const held = memory.take(key, cursor?.id);
      const state = held ?? emptyState();
      const result = await observe({
        kc,
        rest,
        target,
        collections,
        state,
        ...(!held && cursor ? { resumeFrom: cursor.resourceVersions } : {}),
        maxMs,
        signal: cancellationSignal(),
        heartbeat,
        ...(knownRevision ? { knownRevision } : {}),
      });
      memory.commit(key, result.cursor.id, state);
      return result;
    },

    /**
     * The overwrites (and live edits) the target's watch journaled at or after `since` (ISO), for
     * a runbook step's diagnosis, with live edits Git had since taken in marked as such (git-held.ts).
     * `watched: false` when no watch runs: then nothing is known.
     */
    async recentOverwrites({ target, since }: { target: TargetSnapshot; since: string }): Promise<RecentOverwrites> {
      const from = Date.parse(since);
      if (Number.isNaN(from))
        throw ApplicationFailure.nonRetryable(
          `since=${JSON.stringify(since)} is not a time; pass an ISO time such as 2026-03-02T10:00:00Z`,
          FailureType.BadInput,
        );
      const journal = await queryJournal(getClient(), target.app, target.env);
      if (!journal) return { watched: false, overwrites: [], edits: [], baselinesSince: [] };
      const after = (at: string) => Date.parse(at) >= from;
      return {
        watched: true,
        overwrites: await withGitHeldEdits(
          journal.overwrites.filter((o) => after(o.at)),
          target,
          deps.sources,
        ),
        edits: journal.edits.filter((e) => after(e.at)),
        watchingSince: journal.watchingSince,
        baselinesSince: journal.baselines.filter(after),
      };
    },
  };
}
