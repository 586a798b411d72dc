/**
 * The object versions a worker holds between observeTarget calls, keyed by the cursor each call
 * returned. Kept only in memory, as a cache: a worker without them (restart, another worker taking
 * the activity) lists the objects as they were at the cursor's resourceVersions, while etcd still
 * has that revision (kube-apiserver compacts every 5 minutes by default), else starts a new
 * baseline. What it loses is `history` (which live edit rewind saw, and when): an overwrite then
 * names the editor from the previous version's managedFields.
 *
 * A call works on a copy and commits it only when it returns, so a call that fails (or whose
 * result is lost) leaves the state of the cursor the workflow still holds, and the retry replays
 * the same events from the same resourceVersions.
 */
import type { FieldHistory } from './classify.js';

export interface WatchState {
  /** Last version of each live object, by `<collection>|<name>`. */
  objects: Map<string, unknown>;
  history: FieldHistory;
  /** Per watched collection, the resourceVersion to resume from. */
  resourceVersions: Record<string, string>;
}

export const emptyState = (): WatchState => ({ objects: new Map(), history: new Map(), resourceVersions: {} });

const cloneState = (s: WatchState): WatchState => ({
  objects: new Map(s.objects),
  history: new Map(s.history),
  resourceVersions: { ...s.resourceVersions },
});

/** States kept per target: the newest and the one before it (a retry of a call whose result was lost). */
const KEPT_PER_TARGET = 2;

export class WatchMemory {
  private readonly byTarget = new Map<string, Array<{ id: string; state: WatchState }>>();

  /** A copy of the state committed under `cursorId`, or undefined (then the caller starts a baseline). */
  take(target: string, cursorId: string | undefined): WatchState | undefined {
    const found = cursorId ? this.byTarget.get(target)?.find((s) => s.id === cursorId) : undefined;
    return found ? cloneState(found.state) : undefined;
  }

  commit(target: string, id: string, state: WatchState): void {
    const kept = [{ id, state }, ...(this.byTarget.get(target) ?? [])].slice(0, KEPT_PER_TARGET);
    this.byTarget.set(target, kept);
  }
}
