/**
 * One observeTarget call: watch a target's live objects and its engine object from the cursor's
 * resourceVersions (or list them afresh as a new baseline), classify every new object version
 * against the one held before it, and return once there are observations (batched for a second)
 * or after `maxMs`.
 */
import type * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { isForbidden, isGone } from '../../src/lib/kube/errors.js';
import type { KubeRest } from '../../src/lib/kube/rest.js';
import { openWatch } from '../../src/lib/kube/watch.js';
import type { TargetSnapshot } from '../../workflows/types.js';
import type { LiveEdit, ObserveResult, Overwrite, WatchCursor } from '../../workflows/watch/types.js';
import { classifyChange } from './classify.js';
import { engineRevision, engineSyncedRevision } from './engine-writes.js';
import type { WatchState } from './watch-memory.js';

/** The kinds of live objects an app's sync writes and people hand-edit, watched in the target's namespace. */
export const WATCHED_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
];

/** Secret types that are a tool's own records, rewritten on every release: not live state anyone edits. */
const SKIPPED_SECRET_TYPES = new Set(['helm.sh/release.v1']);

/** Observations are held this long after the first one, so one sync's writes come back together. */
export const BATCH_MS = 1000;
const HEARTBEAT_MS = 5000;

export interface Collection {
  key: string;
  path: string;
  fieldSelector?: string;
  engineObject: boolean;
}

interface ListResponse {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string };
  items?: Array<Record<string, unknown>>;
}
interface Meta {
  name?: string;
  resourceVersion?: string;
}

export interface ObserveRun {
  kc: k8s.KubeConfig;
  rest: KubeRest;
  target: TargetSnapshot;
  collections: Collection[];
  state: WatchState;
  /**
   * The cursor's resourceVersions when this worker does not hold its versions: each collection is
   * then listed as it was at that resourceVersion (resourceVersionMatch=Exact) and watched from
   * there, so a worker restart or another worker loses nothing while etcd still has that revision.
   */
  resumeFrom?: Record<string, string>;
  maxMs: number;
  signal?: AbortSignal;
  heartbeat: (details: unknown) => void;
  /** See ObserveInput.knownRevision. */
  knownRevision?: string;
}

export async function observe(run: ObserveRun): Promise<ObserveResult> {
  const { state, target } = run;
  const engineKind = target.engine.kind;
  const edits: LiveEdit[] = [];
  const overwrites: Overwrite[] = [];
  const unwatched = new Set<string>();
  const controllers = new Map<string, AbortController>();
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  let engineObj: unknown = [...state.objects.entries()].find(([k]) => k.startsWith('engine|'))?.[1];
  // The promotion watch: a sync to another revision than the workflow knows returns at once.
  let syncedAt: string | undefined;
  const noteSync = () => {
    const rev = engineSyncedRevision(engineKind, engineObj);
    if (!rev || rev === run.knownRevision || syncedAt) return;
    syncedAt = new Date().toISOString();
    firstAt ??= Date.now();
    kick();
  };
  let stopped = false;
  let firstAt: number | undefined;
  let wake: (() => void) | undefined;
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const objectKey = (c: Collection, obj: { metadata?: Meta }) => `${c.key}|${obj.metadata?.name ?? ''}`;

  const see = (c: Collection, next: Record<string, unknown>) => {
    const kind = kinds.get(c.key);
    if (kind) {
      next.apiVersion ??= kind.apiVersion;
      next.kind ??= kind.kind;
    }
    if (next.kind === 'Secret' && SKIPPED_SECRET_TYPES.has(String(next.type))) return;
    const key = objectKey(c, next);
    const prev = state.objects.get(key) as { metadata?: Meta } | undefined;
    state.objects.set(key, next);
    if (c.engineObject) {
      engineObj = next;
      noteSync();
    }
    if (!prev || prev.metadata?.resourceVersion === (next.metadata as Meta | undefined)?.resourceVersion) return;
    const found = classifyChange({
      prev,
      next,
      engine: engineKind,
      engineObject: c.engineObject,
      at: new Date().toISOString(),
      history: state.history,
    });
    if (!found.edits.length && !found.overwrites.length) return;
    edits.push(...found.edits);
    overwrites.push(...found.overwrites);
    firstAt ??= Date.now();
    kick();
  };

  /**
   * Lists a collection, now or as it was at `exactRv`: compares each object with the version held
   * (a re-list after the watch expired), else takes it as the baseline.
   */
  const list = async (c: Collection, exactRv?: string): Promise<void> => {
    const res = await run.rest.request<ListResponse>('GET', c.path, {
      query: {
        ...(c.fieldSelector ? { fieldSelector: c.fieldSelector } : {}),
        ...(exactRv ? { resourceVersion: exactRv, resourceVersionMatch: 'Exact' } : {}),
      },
    });
    if (res.kind && res.apiVersion)
      kinds.set(c.key, { apiVersion: res.apiVersion, kind: res.kind.replace(/List$/, '') });
    const names = new Set<string>();
    for (const item of res.items ?? []) {
      names.add(objectKey(c, item));
      see(c, item);
    }
    for (const key of [...state.objects.keys()])
      if (key.startsWith(`${c.key}|`) && !names.has(key)) state.objects.delete(key);
    state.resourceVersions[c.key] = exactRv ?? res.metadata?.resourceVersion ?? '';
  };

  const open = async (c: Collection): Promise<void> => {
    if (stopped) return;
    let gone = false;
    const reopen = (err: unknown) => {
      controllers.delete(c.key);
      if (stopped) return;
      if (isForbidden(err)) {
        unwatched.add(c.key);
        return;
      }
      if (isGone(err) || gone) delete state.resourceVersions[c.key];
      setTimeout(() => void start(c), err ? 500 : 0);
    };
    try {
      const ctrl = await openWatch(
        run.kc,
        c.path,
        {
          resourceVersion: state.resourceVersions[c.key],
          allowWatchBookmarks: true,
          timeoutSeconds: Math.max(60, Math.ceil(run.maxMs / 1000) + 30),
          ...(c.fieldSelector ? { fieldSelector: c.fieldSelector } : {}),
        },
        (type: string, obj: Record<string, unknown>) => {
          if (stopped) return;
          const rv = (obj?.metadata as Meta | undefined)?.resourceVersion;
          if (type === 'ERROR') {
            if ((obj as { code?: number }).code === 410) gone = true;
            return;
          }
          if (rv) state.resourceVersions[c.key] = rv;
          if (type === 'ADDED' || type === 'MODIFIED') see(c, obj);
          else if (type === 'DELETED') state.objects.delete(objectKey(c, obj));
        },
        reopen,
      );
      if (stopped) ctrl.abort();
      else controllers.set(c.key, ctrl);
    } catch (err) {
      reopen(err);
    }
  };

  /** (Re)starts one collection: list when there is no resourceVersion to resume from, then watch. */
  const start = async (c: Collection): Promise<void> => {
    if (stopped) return;
    try {
      if (!state.resourceVersions[c.key]) await list(c);
    } catch (err) {
      if (isForbidden(err)) {
        unwatched.add(c.key);
        return;
      }
      if (stopped) return;
      setTimeout(() => void start(c), 1000);
      return;
    }
    await open(c);
  };

  const onAbort = () => kick();
  run.signal?.addEventListener('abort', onAbort);
  const began = Date.now();
  let baseline = false;
  try {
    // The first list must work (or be forbidden): a broken API server fails the attempt, and Temporal retries it.
    await Promise.all(
      run.collections.map(async (c) => {
        if (state.resourceVersions[c.key]) return;
        const exact = run.resumeFrom?.[c.key];
        if (exact) {
          try {
            await list(c, exact);
            return;
          } catch (err) {
            if (isForbidden(err)) {
              unwatched.add(c.key);
              return;
            }
            // 410: etcd has compacted that revision; start over from now.
          }
        }
        try {
          await list(c);
          baseline = true;
        } catch (err) {
          if (isForbidden(err)) unwatched.add(c.key);
          else throw err;
        }
      }),
    );
    // A new baseline returns at once, so the journal says from when edits are seen; the next call
    // resumes from the listed resourceVersions, so nothing falls in between.
    if (!baseline) await Promise.all(run.collections.filter((c) => !unwatched.has(c.key)).map(open));
    let lastBeat = 0;
    for (;;) {
      if (baseline) break;
      if (run.signal?.aborted) throw run.signal.reason ?? new Error('cancelled');
      const now = Date.now();
      if (now - lastBeat >= HEARTBEAT_MS) {
        run.heartbeat({
          note:
            `watching ${target.app}/${target.env}: ${edits.length} live ` +
            `edits, ${overwrites.length} overwrites so far`,
          unwatched: [...unwatched],
        });
        lastBeat = now;
      }
      if (firstAt !== undefined && now - firstAt >= BATCH_MS) break;
      const left = run.maxMs - (now - began);
      if (left <= 0) break;
      const until = Math.min(left, HEARTBEAT_MS, firstAt !== undefined ? BATCH_MS - (now - firstAt) : HEARTBEAT_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(until, 10));
        // Any event wakes the loop, which then waits out the rest of the batch window.
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    stopped = true;
    run.signal?.removeEventListener('abort', onAbort);
    for (const c of controllers.values()) c.abort();
  }
  // The engine's object as last seen names the revision being applied (it may arrive just after the objects it wrote).
  const revision = engineRevision(engineKind, engineObj);
  const cursor: WatchCursor = { id: randomUUID(), resourceVersions: { ...state.resourceVersions } };
  const synced = engineSyncedRevision(engineKind, engineObj);
  return {
    cursor,
    edits,
    ...(synced
      ? {
          synced: {
            revision: synced,
            at: synced === run.knownRevision ? new Date(began).toISOString() : (syncedAt ?? new Date().toISOString()),
          },
        }
      : {}),
    overwrites: overwrites.map((o) => (revision && !o.syncRevision ? { ...o, syncRevision: revision } : o)),
    ...(baseline ? { baselineAt: new Date(began).toISOString() } : {}),
    unwatched: [...unwatched].map((k) => (k === 'engine' ? target.engine.name : k)),
  };
}
