/**
 * One Argo CD sync operation: apply the app's manifests at a revision with the tracking
 * annotation, prune (or report as skipped) tracked objects Git no longer has, then record
 * `status.operationState` (Running → Succeeded | Failed) and, on success, a `status.history`
 * entry (id = max + 1, the last 10 kept as with the default revisionHistoryLimit).
 */
import type { KubeObject } from '../../gitops/render.js';
import { groupOf } from '../../gitops/render.js';
import { ARGO_TRACKING_ID, argoTrackingId } from '../../gitops/tracking.js';
import { applyObjects, deleteObject, displayName, versionOf } from './apply.js';
import { compareArgoApp } from './argo-compare.js';
import { APPLICATIONS, type Application, type HistoryEntry, type Initiator, type Operation, type OperationState, type ResourceResult } from './argo-types.js';
import type { Runtime } from './runtime.js';

export const ARGO_FIELD_MANAGER = 'argocd-controller';
const HISTORY_LIMIT = 10;

export interface SyncRequest {
  /** Full commit sha to apply. */
  sha: string;
  prune: boolean;
  initiatedBy: Initiator;
  /** The operation as requested, recorded in `operationState.operation`. */
  operation: Operation;
  startedAt: string;
}

const appPath = (app: Application) => `${APPLICATIONS(app.metadata.namespace ?? 'argocd')}/${encodeURIComponent(app.metadata.name)}`;

type PatchOp = { op: string; path: string; value?: unknown };
const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Replaces whole status fields (null removes one) with a JSON patch: a merge patch would merge
 * into the stored operationState and keep, say, `initiatedBy.automated` of the previous sync.
 * `pre` ops run first (e.g. a resourceVersion test, removing `.operation` or an annotation).
 */
export async function writeAppStatus(rt: Runtime, app: Application, fields: Record<string, unknown>, pre: PatchOp[] = []): Promise<void> {
  const ops: PatchOp[] = [...pre];
  // JSON patch cannot "add if absent"; an empty merge patch creates `status` without touching a stored one.
  if (!app.status) await rt.rest.mergePatch(appPath(app), { status: {} });
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined) { if (app.status && k in app.status) ops.push({ op: 'remove', path: `/status/${esc(k)}` }); }
    else ops.push({ op: 'add', path: `/status/${esc(k)}`, value: v });
  }
  await rt.rest.jsonPatch(appPath(app), ops);
}

export function runningState(req: SyncRequest): OperationState {
  return { operation: req.operation, phase: 'Running', message: 'one or more tasks are running', startedAt: req.startedAt };
}

/** Writes the Running state (used for automated syncs; a manual one is taken together with clearing `.operation`). */
export async function markRunning(rt: Runtime, app: Application, req: SyncRequest): Promise<void> {
  await writeAppStatus(rt, app, { operationState: runningState(req) });
}

function result(o: KubeObject, status: ResourceResult['status'], message: string, hookPhase: string): ResourceResult {
  return { group: groupOf(o.apiVersion), version: versionOf(o.apiVersion), kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name, status, message, hookPhase, syncPhase: 'Sync' };
}

/** Runs the sync and records its outcome; returns the final operation state. */
export async function runSync(rt: Runtime, app: Application, req: SyncRequest): Promise<OperationState> {
  const source = { ...app.spec.source!, targetRevision: app.spec.source?.targetRevision ?? 'HEAD' };
  const results: ResourceResult[] = [];
  let failure: string | undefined;
  try {
    const cmp = await compareArgoApp(rt, app, req.sha);
    const tracked = cmp.desired.map((o) => {
      const copy = structuredClone(o);
      copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), [ARGO_TRACKING_ID]: argoTrackingId(app.metadata.name, { group: groupOf(o.apiVersion), kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name }) };
      return copy;
    });
    for (const r of await applyObjects(rt, tracked, ARGO_FIELD_MANAGER)) {
      results.push(result(r.object, r.action === 'failed' ? 'SyncFailed' : 'Synced', r.message, r.action === 'failed' ? 'Failed' : 'Running'));
      if (r.action === 'failed') failure ??= r.message;
    }
    for (const extra of cmp.comparison.extra) {
      const o = extra.live!;
      if (!req.prune) { results.push(result(o, 'PruneSkipped', 'ignored (requires pruning)', 'Succeeded')); continue; }
      try {
        await deleteObject(rt, o);
        results.push(result(o, 'Pruned', 'pruned', 'Succeeded'));
      } catch (err) {
        const msg = `${displayName(o)} prune failed: ${(err as Error).message}`;
        results.push(result(o, 'SyncFailed', msg, 'Failed'));
        failure ??= msg;
      }
    }
  } catch (err) {
    failure = `ComparisonError: ${(err as Error).message}`;
  }
  const finishedAt = rt.timestamp();
  const state: OperationState = {
    operation: req.operation,
    phase: failure ? 'Failed' : 'Succeeded',
    message: failure ? `one or more objects failed to apply, reason: ${failure}` : 'successfully synced (all tasks run)',
    startedAt: req.startedAt,
    finishedAt,
    syncResult: { revision: req.sha, source, resources: results },
  };
  const status: Record<string, unknown> = { operationState: state };
  const fresh = await rt.rest.get<Application>(appPath(app));
  if (fresh) app = fresh;
  if (!failure) {
    // Built on the re-read app: history must extend what is stored now, not the copy listed at the start of the tick.
    const history = [...(app.status?.history ?? [])];
    const id = history.reduce((max, h) => Math.max(max, h.id), -1) + 1;
    const entry: HistoryEntry = { id, revision: req.sha, deployedAt: finishedAt, deployStartedAt: req.startedAt, source, initiatedBy: req.initiatedBy };
    status['history'] = [...history, entry].slice(-HISTORY_LIMIT);
  }
  await writeAppStatus(rt, app, status);
  rt.log.info({ app: app.metadata.name, revision: req.sha, phase: state.phase, initiatedBy: req.initiatedBy }, 'sync finished');
  return state;
}

export { appPath };
