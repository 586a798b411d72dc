/**
 * From two versions of one live object to journal entries: each changed field becomes a live
 * edit (someone other than the engine wrote it) or, when the engine's sync wrote it, an
 * overwrite that says whose value it replaced. Pure: the activity feeds it the versions it
 * watched and keeps `history` between calls.
 */
import type { EngineRef } from '../../workflows/types.js';
import type { LiveEdit, Overwrite, OverwriteOrigin } from '../../workflows/watch/types.js';
import { isSyncManager } from './engine-writes.js';
import { changedFields } from './field-diff.js';
import { journalValue } from './journal-value.js';
import { ownerOf, writerOf } from './managed-fields.js';

/** Who last wrote a field's current value, as far as this watch saw it. */
export interface FieldOrigin {
  by: 'live-edit' | 'sync';
  manager: string;
  at: string;
}

/** Per object field (`kind/namespace/name#path`), the last write the watch saw. */
export type FieldHistory = Map<string, FieldOrigin>;

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

export interface ClassifyInput {
  prev: unknown;
  next: unknown;
  engine: EngineRef['kind'];
  /** The engine object itself (Application, Kustomization): its changes are live edits or nothing, never overwrites. */
  engineObject?: boolean;
  /** When the new version was seen (ISO). */
  at: string;
  history: FieldHistory;
}

export function identityOf(obj: unknown): ObjectIdentity {
  const o = obj as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } };
  return {
    apiVersion: o.apiVersion ?? '',
    kind: o.kind ?? '',
    name: o.metadata?.name ?? '',
    namespace: o.metadata?.namespace ?? '',
  };
}

/** `configmap/users-api-env`: the object syntax of the emergency path and of Argo CD's sync results. */
export const objectRef = (id: ObjectIdentity): string => `${id.kind.toLowerCase()}/${id.name}`;

export const historyKey = (id: ObjectIdentity, path: string): string => `${id.kind}/${id.namespace}/${id.name}#${path}`;

/** The live edits and overwrites one write made (`syncRevision` is filled in by the caller). */
export function classifyChange(input: ClassifyInput): { edits: LiveEdit[]; overwrites: Overwrite[] } {
  const id = identityOf(input.next);
  const object = objectRef(id);
  const resourceVersion = (input.next as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? '';
  const edits: LiveEdit[] = [];
  const overwrites: Overwrite[] = [];
  for (const change of changedFields(input.prev, input.next)) {
    const who = writerOf(input.next, change.segments, input.prev);
    const before = journalValue(id.kind, change.segments, change.before);
    const after = journalValue(id.kind, change.segments, change.after);
    const key = historyKey(id, change.path);
    if (!isSyncManager(input.engine, who.manager)) {
      edits.push({
        at: input.at,
        object,
        ...id,
        path: change.path,
        before,
        after,
        manager: who.manager,
        ...(who.operation ? { operation: who.operation } : {}),
        resourceVersion,
      });
      input.history.set(key, { by: 'live-edit', manager: who.manager, at: input.at });
      continue;
    }
    if (input.engineObject) continue; // the engine writing its own object (finalizers, defaults): not a sync of the app
    const seen = input.history.get(key);
    let origin: OverwriteOrigin = 'unknown';
    let editedBy: string | undefined, editedAt: string | undefined;
    if (seen) {
      origin = seen.by;
      if (seen.by === 'live-edit') {
        editedBy = seen.manager;
        editedAt = seen.at;
      }
    } else {
      // A value older than the watch: the previous version's managedFields still name its writer.
      const prior = ownerOf(input.prev, change.segments);
      if (prior && prior.manager !== 'unknown') {
        origin = isSyncManager(input.engine, prior.manager) ? 'sync' : 'live-edit';
        if (origin === 'live-edit') {
          editedBy = prior.manager;
          editedAt = prior.time;
        }
      }
    }
    overwrites.push({
      at: input.at,
      object,
      ...id,
      path: change.path,
      liveBefore: before,
      git: after,
      origin,
      ...(editedBy ? { editedBy } : {}),
      ...(editedAt ? { editedAt } : {}),
      syncManager: who.manager,
      resourceVersion,
    });
    input.history.set(key, { by: 'sync', manager: who.manager, at: input.at });
  }
  return { edits, overwrites };
}
