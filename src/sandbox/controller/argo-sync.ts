/**
 * One Argo CD sync operation: create the destination namespace when the operation says
 * `CreateNamespace=true` and it is missing (a PreSync task), apply the app's manifests at a
 * revision with the tracking annotation, prune (or report as skipped) tracked objects Git no
 * longer has, then record `status.operationState` (Running → Succeeded | Failed) and, on
 * success, a `status.history` entry (id = max + 1, the last 10 kept as with the default
 * revisionHistoryLimit). As in Argo CD, a requested `.operation` stays on the Application while
 * the operation runs and is removed in the write that completes it; the completion is reported
 * as an `OperationCompleted` Event.
 */
import type { KubeObject } from '../../lib/gitops/render.js';
import { groupOf } from '../../lib/gitops/render.js';
import { ARGO_TRACKING_ID, argoTrackingId } from '../../lib/gitops/tracking.js';
import { KubeApiError } from '../../lib/kube/rest.js';
import { applyObjects, deleteObject, displayName, ensureNamespace, versionOf } from './apply.js';
import { compareArgoApp, imagesOf } from './argo-compare.js';
import {
  APPLICATIONS,
  type Application,
  type HistoryEntry,
  type Initiator,
  type Operation,
  type OperationState,
  type ResourceResult,
} from './argo-types.js';
import { argoEvents } from './events.js';
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
  /** The `.operation` taken from the Application (a manual sync); removed when the operation completes. */
  requested?: Operation;
}

const appPath = (app: Application) =>
  `${APPLICATIONS(app.metadata.namespace ?? 'argocd')}/${encodeURIComponent(app.metadata.name)}`;

type PatchOp = { op: string; path: string; value?: unknown };
const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Replaces whole status fields (null removes one) with a JSON patch: a merge patch would merge
 * into the stored operationState and keep, say, `initiatedBy.automated` of the previous sync.
 * `pre` ops run first (e.g. a resourceVersion test, removing `.operation` or an annotation).
 */
export async function writeAppStatus(
  rt: Runtime,
  app: Application,
  fields: Record<string, unknown>,
  pre: PatchOp[] = [],
): Promise<void> {
  const ops: PatchOp[] = [...pre];
  // JSON patch cannot "add if absent"; an empty merge patch creates `status` without touching a stored one.
  if (!app.status) await rt.rest.mergePatch(appPath(app), { status: {} });
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined) {
      if (app.status && k in app.status) ops.push({ op: 'remove', path: `/status/${esc(k)}` });
    } else ops.push({ op: 'add', path: `/status/${esc(k)}`, value: v });
  }
  await rt.rest.jsonPatch(appPath(app), ops);
}

/** What Argo CD writes when an operation starts: no message and no result yet. */
export function runningState(req: SyncRequest): OperationState {
  return { operation: req.operation, phase: 'Running', startedAt: req.startedAt };
}

/** Whether the operation asks for the destination namespace to be created (`CreateNamespace=true`). */
const createsNamespace = (op: Operation) => (op.sync?.syncOptions ?? []).includes('CreateNamespace=true');

function result(
  o: KubeObject,
  status: ResourceResult['status'],
  message: string,
  hookPhase: string,
  syncPhase: ResourceResult['syncPhase'] = 'Sync',
): ResourceResult {
  const images = status === 'Synced' ? imagesOf(o) : undefined;
  return {
    group: groupOf(o.apiVersion),
    version: versionOf(o.apiVersion),
    kind: o.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    status,
    message,
    hookPhase,
    syncPhase,
    ...(images ? { images } : {}),
  };
}

/**
 * Writes the completed operation (and history, on success), removing `.operation` in the same
 * write; retried on a conflicting write, so a `.operation` someone wrote meanwhile is never lost.
 */
async function complete(
  rt: Runtime,
  app: Application,
  state: OperationState,
  entry: Omit<HistoryEntry, 'id'> | undefined,
  requested: Operation | undefined,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const fresh = (await rt.rest.get<Application>(appPath(app))) ?? app;
    const status: Record<string, unknown> = { operationState: state };
    if (entry) {
      // Built on the re-read app: history must extend what is stored now, not the copy listed at the start of the tick.
      const history = [...(fresh.status?.history ?? [])];
      const id = history.reduce((max, h) => Math.max(max, h.id), -1) + 1;
      status['history'] = [...history, { id, ...entry }].slice(-HISTORY_LIMIT);
    }
    const pre: PatchOp[] = [
      { op: 'test', path: '/metadata/resourceVersion', value: fresh.metadata['resourceVersion'] },
    ];
    if (requested && fresh.operation && JSON.stringify(fresh.operation) === JSON.stringify(requested))
      pre.push({ op: 'remove', path: '/operation' });
    try {
      await writeAppStatus(rt, fresh, status, pre);
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && (err.status === 409 || err.status === 422)) || attempt >= 5) throw err;
    }
  }
}

/** Runs the sync and records its outcome; returns the final operation state. */
export async function runSync(rt: Runtime, app: Application, req: SyncRequest): Promise<OperationState> {
  const source = { ...app.spec.source!, targetRevision: app.spec.source?.targetRevision ?? 'HEAD' };
  const results: ResourceResult[] = [];
  let failure: string | undefined;
  try {
    const cmp = await compareArgoApp(rt, app, req.sha);
    const ns = app.spec.destination?.namespace;
    if (ns && createsNamespace(req.operation)) {
      const created = await ensureNamespace(rt, ns);
      if (created) results.push(result(created, 'Synced', `namespace/${ns} created`, 'Running', 'PreSync'));
    }
    const tracked = cmp.desired.map((o) => {
      const copy = structuredClone(o);
      copy.metadata.annotations = {
        ...(copy.metadata.annotations ?? {}),
        [ARGO_TRACKING_ID]: argoTrackingId(app.metadata.name, {
          group: groupOf(o.apiVersion),
          kind: o.kind,
          namespace: o.metadata.namespace ?? '',
          name: o.metadata.name,
        }),
      };
      return copy;
    });
    for (const r of await applyObjects(rt, tracked, ARGO_FIELD_MANAGER)) {
      results.push(
        result(
          r.object,
          r.action === 'failed' ? 'SyncFailed' : 'Synced',
          r.message,
          r.action === 'failed' ? 'Failed' : 'Running',
        ),
      );
      if (r.action === 'failed') failure ??= r.message;
    }
    for (const extra of cmp.extra) {
      const o = extra.live!;
      if (!req.prune) {
        results.push(result(o, 'PruneSkipped', 'ignored (requires pruning)', 'Succeeded'));
        continue;
      }
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
    message: failure
      ? `one or more objects failed to apply, reason: ${failure}`
      : 'successfully synced (all tasks run)',
    startedAt: req.startedAt,
    finishedAt,
    syncResult: { revision: req.sha, source, resources: results },
  };
  const entry = failure
    ? undefined
    : {
        revision: req.sha,
        deployedAt: finishedAt,
        deployStartedAt: req.startedAt,
        source,
        initiatedBy: req.initiatedBy,
      };
  await complete(rt, app, state, entry, req.requested);
  await argoEvents.emit(
    rt,
    app,
    failure
      ? {
          type: 'Warning',
          reason: 'OperationCompleted',
          message: `Sync operation to ${req.sha} failed: ${state.message}`,
        }
      : { type: 'Normal', reason: 'OperationCompleted', message: `Sync operation to ${req.sha} succeeded` },
  );
  rt.log.info(
    { app: app.metadata.name, revision: req.sha, phase: state.phase, initiatedBy: req.initiatedBy },
    'sync finished',
  );
  return state;
}

/** Completes an operation that could not start (its revision did not resolve): phase Error, `.operation` removed. */
export async function failOperation(
  rt: Runtime,
  app: Application,
  state: OperationState,
  requested: Operation,
): Promise<void> {
  await complete(rt, app, state, undefined, requested);
  await argoEvents.emit(rt, app, {
    type: 'Warning',
    reason: 'OperationCompleted',
    message: `Sync operation failed: ${state.message ?? ''}`,
  });
}

export { appPath };
