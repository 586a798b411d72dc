/**
 * One targetWatchWorkflow per app/env of rewind.yaml, started by the production worker (and the
 * test world's `startWatches()`): idempotent, so every start of rewind can call it. Watches of
 * targets no longer configured are stopped; a target that moved (cluster, engine, namespace) is
 * told so and starts over there with its journal.
 */
import type { Rewind } from '../runs.js';
import { targetSnapshot } from '../runs.js';
import { RewindApp, RewindEnv } from '../temporal/search-attributes.js';
import { retargetSignal } from '../../../workflows/watch/messages.js';
import type { targetWatchWorkflow } from '../../../workflows/watch/target-watch.js';
import { snapshotDigest, watchKey, watchWorkflowId, type Journal } from '../../../workflows/watch/types.js';
import type { TargetSnapshot } from '../../../workflows/types.js';
import { queryJournal } from './journal-client.js';

export interface EnsuredWatches {
  /** Workflow ids of the watches running now, one per configured app/env. */
  running: string[];
  /** Of those, the ones whose target moved and were told to start over there. */
  retargeted: string[];
  /** Watches of targets rewind.yaml no longer has, terminated. */
  stopped: string[];
}

export async function ensureTargetWatches(rw: Rewind): Promise<EnsuredWatches> {
  const wanted = new Map<string, TargetSnapshot>();
  for (const [app, cfgApp] of Object.entries(rw.cfg.apps)) {
    for (const env of Object.keys(cfgApp.environments))
      wanted.set(watchWorkflowId(app, env), targetSnapshot(rw.cfg, app, env));
  }
  const out: EnsuredWatches = { running: [], retargeted: [], stopped: [] };
  for (const [workflowId, target] of wanted) {
    const key = watchKey(target);
    const handle = await rw.client.workflow.start<typeof targetWatchWorkflow>('targetWatchWorkflow', {
      taskQueue: rw.taskQueue,
      workflowId,
      args: [{ target }],
      // A running watch is kept: its journal is the point. A closed one is started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      memo: { watchKey: key, snapshot: snapshotDigest(target) },
      typedSearchAttributes: [
        { key: RewindApp, value: target.app },
        { key: RewindEnv, value: target.env },
      ],
    });
    out.running.push(workflowId);
    const running = await handle.describe();
    // Another place, or the same place with other settings (verification, autoRollback, owners):
    // the watch takes the new snapshot.
    if (running.memo?.watchKey !== key || running.memo?.snapshot !== snapshotDigest(target)) {
      // A signal, not a restart: it is recorded even before a worker polls, and the journal stays.
      await handle.signal(retargetSignal, target);
      out.retargeted.push(workflowId);
    }
  }
  const query = `WorkflowType = 'targetWatchWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${
    rw.taskQueue
  }'`;
  for await (const wf of rw.client.workflow.list({ query })) {
    if (wanted.has(wf.workflowId)) continue;
    await rw.client.workflow
      .getHandle(wf.workflowId)
      .terminate('this target is no longer in rewind.yaml')
      .catch(() => undefined);
    out.stopped.push(wf.workflowId);
  }
  return out;
}

/**
 * The journal of the watch of `app`/`env`: undefined when no watch runs. An app or environment
 * rewind.yaml does not have is refused (RefusedError), not answered with "nothing seen".
 */
export async function readJournal(rw: Rewind, app: string, env: string): Promise<Journal | undefined> {
  const target = targetSnapshot(rw.cfg, app, env);
  return queryJournal(rw.client, target.app, target.env);
}
