/**
 * The pause stands watch (invariant 9). Between pausing auto-sync and resuming it, a live change is
 * only safe while nothing applies Git over it: an operation already running or queued when the pause
 * landed, a parent app or a person turning auto-sync back on, a manual sync. These activities:
 * - settlePause: waits until no operation is running or queued, before the patch;
 * - guardPause: runs beside the steps and returns early only when something broke the pause
 *   (auto-sync back on, the lease gone, a patched field changed), naming what and who;
 * - releaseLease: takes a failed pause's lease off the engine object;
 * - heldFieldsWatch: the per-object-version check of patched fields, shared with waitForSynced.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { valueAt } from '../../src/lib/gitops/patch-paths.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { restFor } from '../../src/lib/kube/rest-pool.js';
import { watchUntil, WatchTimeoutError, type WatchTarget } from '../../src/lib/kube/watch.js';
import type { LiveChange, TargetSnapshot } from '../../workflows/types.js';
import { writerOf } from '../watch/managed-fields.js';
import { cancellationSignal, heartbeat, resumePoint } from '../heartbeat.js';
import { engineFor } from './engines.js';

/** A patched field the engine must not put back while a run watches. */
export interface HeldField {
  object: LiveChange['object'];
  path: string;
  desired: unknown;
}
/** A held field seen with another value: which object version, by whom, and when. */
export interface FieldFlip {
  object: string;
  path: string;
  desired: unknown;
  seen: unknown;
  resourceVersion: string;
  at: string;
  by?: string;
}

/**
 * Watch targets for the objects of `hold` (one per object, by name) and an event hook that checks
 * every object version the API server hands out, so a value put back and fixed again between two
 * evaluations is still seen. `flip()` is the first one.
 */
export async function heldFieldsWatch(
  kc: KubeConfig,
  hold: readonly HeldField[],
): Promise<{
  targets: WatchTarget[];
  onEvent: (t: WatchTarget, type: string, obj: unknown) => void;
  flip: () => FieldFlip | undefined;
}> {
  const rest = await restFor(kc);
  const heldBy = new Map<WatchTarget, HeldField[]>();
  for (const h of hold) {
    const path = rest.collectionPath(await rest.resource(h.object.apiVersion, h.object.kind), h.object.namespace);
    const t = [...heldBy.keys()].find(
      (k) => k.path === path && k.fieldSelector === `metadata.name=${h.object.name}`,
    ) ?? { path, fieldSelector: `metadata.name=${h.object.name}` };
    heldBy.set(t, [...(heldBy.get(t) ?? []), h]);
  }
  let flipped: FieldFlip | undefined;
  const previous = new Map<WatchTarget, unknown>();
  const onEvent = (t: WatchTarget, type: string, obj: unknown) => {
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return; // BOOKMARK, ERROR: no object version
    const prev = previous.get(t);
    previous.set(t, obj);
    for (const h of heldBy.get(t) ?? []) {
      const seen = type === 'DELETED' ? undefined : valueAt(obj, h.path);
      if (flipped || isDeepStrictEqual(seen, h.desired)) continue;
      const rv = (obj as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '';
      const by =
        type === 'DELETED'
          ? undefined
          : writerOf(
              obj,
              h.path
                .split('/')
                .slice(1)
                .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
              prev,
            ).manager;
      flipped = {
        object: `${h.object.kind.toLowerCase()}/${h.object.name}`,
        path: h.path,
        desired: h.desired,
        seen,
        resourceVersion: rv,
        at: new Date().toISOString(),
        ...(by ? { by } : {}),
      };
    }
  };
  return { targets: [...heldBy.keys()], onEvent, flip: () => flipped };
}

export function createPauseWatchActivities(deps: { clusters: Clusters }) {
  return {
    /**
     * After the pause, waits until the engine runs and queues no operation: a sync already under way
     * would still apply Git after the patch. Returns what was seen when `timeoutMs` runs out.
     */
    async settlePause({
      target,
      timeoutMs,
    }: {
      target: TargetSnapshot;
      timeoutMs: number;
    }): Promise<{ settled: boolean; waitedMs: number; last: string }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const started = Date.now();
      try {
        const last = await watchUntil(
          kc,
          e.watchPaths(),
          async () => {
            const busy = await e.operationInFlight();
            return busy
              ? { done: false, note: busy }
              : { done: true, value: 'no operation running or queued', note: 'idle' };
          },
          { timeoutMs, onProgress: (note) => heartbeat({ note }), signal: cancellationSignal() },
        );
        return { settled: true, waitedMs: Date.now() - started, last };
      } catch (err) {
        if (err instanceof WatchTimeoutError) return { settled: false, waitedMs: err.waitedMs, last: err.last };
        throw err;
      }
    },

    /**
     * Stands watch from the pause to the resume: returns only when the pause is broken, and says how.
     * The workflow cancels it before it resumes auto-sync itself.
     */
    async guardPause({
      target,
      runKey,
      hold = [],
      forMs,
    }: {
      target: TargetSnapshot;
      runKey: string;
      hold?: HeldField[];
      forMs: number;
    }): Promise<{ violation?: string }> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const e = engineFor(kc, target.engine);
      const fields = await heldFieldsWatch(kc, hold);
      const started = resumePoint<{ started?: number }>()?.started ?? Date.now();
      return watchUntil<{ violation?: string }>(
        kc,
        [...e.watchPaths(), ...fields.targets],
        async () => {
          const f = fields.flip();
          if (f)
            return {
              done: true,
              value: {
                violation:
                  `${f.object} ${f.path} changed to ${JSON.stringify(f.seen)}` +
                  `${f.by ? ` by ${f.by}` : ''} (resourceVersion ${f.resourceVersion}, ${f.at}) ` +
                  `while rewind held auto-sync paused; the live change is no longer in place`,
              },
            };
          const info = await e.pauseInfo();
          if (info.autoSync)
            return {
              done: true,
              value: {
                violation:
                  `auto-sync of ${target.engine.name} was turned back ` +
                  `on${info.owner ? ` (${info.owner} manages it)` : ''} while ` +
                  `rewind held it paused; self-heal may undo the live change`,
              },
            };
          if (info.lease?.runId !== runKey)
            return {
              done: true,
              value: {
                violation:
                  `the pause lease of ${target.engine.name} was ` +
                  `${info.lease ? `taken over by ${info.lease.runId}` : 'removed'} while this run held it`,
              },
            };
          return { done: false, note: 'pause holds' };
        },
        {
          timeoutMs: Math.max(0, forMs - (Date.now() - started)),
          onProgress: (note) => heartbeat({ note, started }),
          signal: cancellationSignal(),
          onEvent: fields.onEvent,
        },
      ).catch((err: unknown) => {
        if (err instanceof WatchTimeoutError) return {};
        throw err;
      });
    },

    /** Removes this run's lease from the engine object (a pause that did not hold); leaves another run's alone. */
    async releaseLease({ target, runKey }: { target: TargetSnapshot; runKey: string }): Promise<{ released: boolean }> {
      return {
        released: await engineFor(clusterConfig(deps.clusters, target.cluster), target.engine).releaseLease(runKey),
      };
    },
  };
}
