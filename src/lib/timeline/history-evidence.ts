/**
 * Each step's evidence rebuilt from its activities' inputs and results in a history, through the
 * workflow's own builders (workflows/evidence.ts): this file only finds the results each builder
 * reads, so a rebuilt document carries the same SHAs and resourceVersions as the workflow's own
 * timeline.
 */
import { evidenceOf, type EngineEvidence, type HealthEvidence } from '../../../workflows/evidence.js';
import type { RunInput, StepKind } from '../../../workflows/types.js';
import type { ActivityRecord } from './history-decode.js';
import type { EvidenceValue } from './model.js';

/** Activity types each step kind schedules (notify activities belong to no step). */
export const STEP_ACTIVITIES: Record<StepKind, readonly string[]> = {
  planRollback: ['findPromotion', 'engineState', 'driftReport', 'recentOverwrites', 'lastSyncReport', 'checkRevert'],
  approve: [],
  revertPromotion: ['revertPromotion'],
  landPullRequest: ['openPullRequest', 'mergePullRequest', 'awaitPullRequest', 'closePullRequest'],
  refresh: ['requestRefresh'],
  waitForSynced: ['waitForSynced'],
  verifyHealth: ['verifyHealth', 'driftReport', 'recentOverwrites', 'lastSyncReport'],
  notify: [],
  planEmergency: ['planLiveChanges', 'planGitEdits', 'engineState'],
  pauseAutoSync: ['pauseAutoSync', 'verifyPauseHeld', 'settlePause'],
  patchLive: ['patchLive', 'restartWorkloads'],
  commitToGit: ['commitLiveChange'],
  waitForGitToMatchLive: ['gitMatchesLive'],
  awaitEngineRevision: ['awaitEngineRevision'],
  resumeAutoSync: ['gitMatchesLive', 'resumeAutoSync'],
  verifyMetric: ['runCheck'],
  verifyProbe: ['runCheck'],
  verifyAnalysis: ['runCheck'],
};

export const NOTIFY_ACTIVITIES = new Set(['publishRunMessage', 'postReminder']);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function clean(e: Record<string, EvidenceValue | undefined>): Record<string, EvidenceValue> | undefined {
  const out: Record<string, EvidenceValue> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

const completed = (acts: ActivityRecord[], type: string): ActivityRecord[] =>
  acts.filter((a) => a.type === type && a.status === 'completed');
const lastResult = (acts: ActivityRecord[], type: string): Json | undefined => {
  const a = completed(acts, type).at(-1);
  return a ? obj(a.result) : undefined;
};

/**
 * @param acts the step's own activities, in schedule order
 * @param all every activity of the run (patchLive names its objects as planEmergency planned them)
 */
export function stepEvidence(
  kind: StepKind,
  acts: ActivityRecord[],
  input: RunInput,
  all: ActivityRecord[],
): Record<string, EvidenceValue> | undefined {
  try {
    const e = rebuild(kind, acts, input, all);
    return e && clean(e);
  } catch {
    // A result of another shape (an older worker's) leaves the step without evidence, not the document.
    return undefined;
  }
}

/** Results as the activities returned them: the builders read only the fields they name. */
const as = <T>(v: unknown): T => v as T;

function rebuild(
  kind: StepKind,
  acts: ActivityRecord[],
  input: RunInput,
  all: ActivityRecord[],
): Record<string, EvidenceValue | undefined> | undefined {
  switch (kind) {
    case 'planRollback': {
      const p = lastResult(acts, 'findPromotion');
      const e = lastResult(acts, 'engineState');
      const d = lastResult(acts, 'driftReport');
      if (!p || !e || !d) return undefined;
      return evidenceOf.planRollback(as(p), as<EngineEvidence>(e), { real: num(d.real) ?? 0 });
    }
    case 'revertPromotion': {
      const a = completed(acts, 'revertPromotion').at(-1);
      return a && evidenceOf.revertPromotion(input, str(obj(a.input).sha) ?? '', as(obj(a.result)));
    }
    case 'landPullRequest': {
      const open = completed(acts, 'openPullRequest').at(-1);
      const merge = lastResult(acts, 'mergePullRequest');
      const pull = obj(merge?.merged === true ? merge.pull : lastResult(acts, 'awaitPullRequest'));
      if (!open || pull.state !== 'merged') return undefined;
      const opened = obj(open.result);
      return evidenceOf.landPullRequest(
        input,
        {
          number: num(opened.number) ?? 0,
          url: str(opened.url) ?? '',
          branch: str(obj(open.input).branch) ?? '',
          headSha: str(opened.headSha) ?? '',
        },
        as(pull),
        merge ? { merged: merge.merged === true, why: str(merge.why) } : undefined,
      );
    }
    case 'refresh': {
      const r = lastResult(acts, 'requestRefresh');
      return r && evidenceOf.refresh(as(r));
    }
    case 'waitForSynced': {
      const r = lastResult(acts, 'waitForSynced');
      return r?.synced === true ? evidenceOf.waitForSynced(as<EngineEvidence>(obj(r.state))) : undefined;
    }
    case 'verifyHealth': {
      const r = lastResult(acts, 'verifyHealth');
      if (!r) return undefined;
      const health = { ...as<HealthEvidence>(r), workloads: arr(r.workloads).filter((w) => typeof w === 'string') };
      if (r.restored === true) return evidenceOf.healthRestored(health);
      const drift = lastResult(acts, 'driftReport');
      const watch = lastResult(acts, 'recentOverwrites');
      // Only a rollback reads drift and overwrites after a failed check; the emergency path stops at once.
      if (!drift) return evidenceOf.healthNotRestored(health);
      const overwrittenLiveEdits = arr(watch?.overwrites)
        .map(obj)
        .filter((o) => o.origin === 'live-edit').length;
      return evidenceOf.healthNotRestored(health, { realDrift: num(drift.real) ?? 0, overwrittenLiveEdits });
    }
    case 'planEmergency': {
      const planned = completed(acts, 'planLiveChanges').at(-1);
      const git = lastResult(acts, 'planGitEdits');
      const engine = lastResult(acts, 'engineState');
      if (!planned || !git || !engine) return undefined;
      return evidenceOf.planEmergency(as(arr(planned.result)), as(git), as(engine));
    }
    case 'pauseAutoSync': {
      const a = completed(acts, 'pauseAutoSync').at(-1);
      const held = lastResult(acts, 'verifyPauseHeld');
      if (!a || !held || held.held !== true) return undefined;
      const settled = lastResult(acts, 'settlePause');
      return evidenceOf.pauseAutoSync(
        input.target,
        obj(a.result).policy,
        as(obj(obj(a.input).lease)),
        str(held.message) ?? '',
        str(settled?.last),
      );
    }
    case 'patchLive': {
      const plannedObjects = arr(completed(all, 'planLiveChanges').at(-1)?.result).map((p) => str(obj(p).object));
      const patched = completed(acts, 'patchLive').map((a, i) => ({
        ...as<{ before: string; after: string; reused: boolean }>(obj(a.result)),
        object: plannedObjects[i] ?? '?',
      }));
      if (!patched.length) return undefined;
      const restart = completed(acts, 'restartWorkloads').at(-1);
      return evidenceOf.patchLive(patched, as(arr(restart?.result)), str(obj(restart?.input).restartedAt));
    }
    case 'commitToGit': {
      const r = lastResult(acts, 'commitLiveChange');
      return r && evidenceOf.commitToGit(input, as(r));
    }
    case 'waitForGitToMatchLive': {
      const r = completed(acts, 'gitMatchesLive')
        .map((a) => obj(a.result))
        .find((x) => x.matches === true);
      return r && evidenceOf.waitForGitToMatchLive(as(r));
    }
    case 'awaitEngineRevision': {
      const r = lastResult(acts, 'awaitEngineRevision');
      return r && evidenceOf.awaitEngineRevision(as(r));
    }
    case 'resumeAutoSync': {
      const resumed = completed(acts, 'resumeAutoSync').at(-1);
      const gate = lastResult(acts, 'gitMatchesLive');
      if (!resumed || !gate) return undefined;
      return evidenceOf.resumeAutoSync(obj(resumed.input).policy, as(gate));
    }
    default:
      return undefined;
  }
}
