/**
 * The watch of one target (app/env): rewind's own record of live edits and of the syncs that
 * overwrote them. After a sync the cluster no longer holds that evidence, so a diagnosis
 * ("the sync of <sha> overwrote configmap/users-api-env /data/DB_HOST: live had …") can only
 * come from what rewind saw as it happened. Runs forever under `rewind-watch/<app>/<env>`,
 * apart from the runbook lock, and continues as new with its journal.
 */
import {
  CancellationScope,
  isCancellation,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { TargetSnapshot } from '../types.js';
import { journalQuery, promotionsQuery, retargetSignal, watchedTargetQuery } from './messages.js';
import { PromotionWatch } from './promotion-watch.js';
import {
  JOURNAL_LIMITS,
  snapshotDigest,
  watchKey,
  type Journal,
  type ObserveResult,
  type TargetWatchInput,
} from './types.js';

/**
 * A long heartbeating watch, retried without end: the watch is meant to outlive API server
 * blips and worker restarts (a retry on another worker starts a new baseline).
 */
const { observeTarget } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

/** How long one observeTarget call watches when nothing happens (well inside startToClose). */
const OBSERVE_MS = 5 * 60_000;
/** Continue as new after this many calls even if the server does not suggest it yet: keeps history and replay short. */
const MAX_ITERATIONS = 500;

export function emptyJournal(target: TargetSnapshot, now: string): Journal {
  return {
    app: target.app,
    env: target.env,
    watchingSince: now,
    edits: [],
    overwrites: [],
    baselines: [],
    unwatched: [],
  };
}

/** Adds one call's observations to the journal, keeping the newest entries within the limits. */
export function record(journal: Journal, r: ObserveResult, now: string): void {
  journal.edits.push(...r.edits);
  journal.overwrites.push(...r.overwrites);
  if (r.baselineAt) journal.baselines.push(r.baselineAt);
  journal.edits.splice(0, Math.max(0, journal.edits.length - JOURNAL_LIMITS.edits));
  journal.overwrites.splice(0, Math.max(0, journal.overwrites.length - JOURNAL_LIMITS.overwrites));
  journal.baselines.splice(0, Math.max(0, journal.baselines.length - JOURNAL_LIMITS.baselines));
  journal.unwatched = r.unwatched;
  journal.lastObservedAt = now;
}

export async function targetWatchWorkflow(input: TargetWatchInput): Promise<void> {
  let target = input.target;
  const journal = input.journal ?? emptyJournal(target, new Date().toISOString());
  let retarget: TargetSnapshot | undefined;
  let observing: CancellationScope | undefined;
  // The promotion watch reads the target through this getter: a new snapshot (say, another
  // autoRollback) applies to the next promotion.
  const promotions = new PromotionWatch(() => target, input.promotions ?? { verifications: [] });
  setHandler(journalQuery, () => journal);
  setHandler(watchedTargetQuery, () => target);
  setHandler(promotionsQuery, () => promotions.state);
  setHandler(retargetSignal, (next) => {
    if (watchKey(next) === watchKey(target) && !retarget) {
      target = next;
      upsertMemo({ snapshot: snapshotDigest(next) });
      return;
    }
    retarget = next;
    observing?.cancel();
  });

  let cursor = input.cursor;
  // A promotion's verification in flight keeps this run going until its verdict (it is minutes, and short in history).
  for (
    let i = 0;
    !retarget && ((i < MAX_ITERATIONS && !workflowInfo().continueAsNewSuggested) || promotions.busy);
    i++
  ) {
    observing = new CancellationScope();
    try {
      const knownRevision = promotions.state.syncedRevision;
      const observed = await observing.run(() =>
        observeTarget({
          target,
          ...(cursor ? { cursor } : {}),
          maxMs: OBSERVE_MS,
          ...(knownRevision ? { knownRevision } : {}),
        }),
      );
      cursor = observed.cursor;
      record(journal, observed, new Date().toISOString());
      promotions.onSynced(observed.synced);
    } catch (err) {
      if (!(retarget && isCancellation(err))) throw err;
    }
  }
  // A verification in flight is about the old place: stop it (its record says so).
  if (retarget) await promotions.stop();
  // The memo carries the watch key and the snapshot's digest, which src/lib/watch/target-watches.ts
  // compares with rewind.yaml.
  const next = retarget ?? target;
  const continueWith = makeContinueAsNewFunc<typeof targetWatchWorkflow>({
    memo: { ...workflowInfo().memo, watchKey: watchKey(next), snapshot: snapshotDigest(next) },
  });
  // A new place to watch has nothing in common with the old cursor; the promotion watch's
  // revision is of the old engine object, but its verdicts and cooldown stay.
  const carried = retarget
    ? {
        verifications: promotions.state.verifications,
        ...(promotions.state.lastAutoRollback ? { lastAutoRollback: promotions.state.lastAutoRollback } : {}),
      }
    : promotions.state;
  await continueWith({ target: next, journal, promotions: carried, ...(cursor && !retarget ? { cursor } : {}) });
}
