/**
 * What each step records as evidence, recomputed from its activities' inputs and results. The keys
 * and values mirror workflows/rollback-steps.ts and workflows/emergency-steps.ts, so a rebuilt
 * document carries the same SHAs and resourceVersions as the workflow's own timeline.
 *
 * MAINTENANCE: a new evidence field in a step runner needs its line here.
 */
import type { RunInput, StepKind } from '../../../workflows/types.js';
import type { ActivityRecord } from './history-decode.js';
import type { EvidenceValue } from './model.js';

/** Activity types each step kind schedules (notify activities belong to no step). */
export const STEP_ACTIVITIES: Record<StepKind, readonly string[]> = {
  planRollback: ['findPromotion', 'engineState', 'driftReport', 'recentOverwrites', 'lastSyncReport', 'checkRevert'],
  approve: [],
  revertPromotion: ['revertPromotion'],
  refresh: ['requestRefresh'],
  waitForSynced: ['waitForSynced'],
  verifyHealth: ['verifyHealth', 'driftReport', 'recentOverwrites', 'lastSyncReport'],
  notify: [],
  planEmergency: ['planLiveChanges', 'planGitEdits', 'engineState'],
  pauseAutoSync: ['pauseAutoSync', 'verifyPauseHeld'],
  patchLive: ['patchLive'],
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
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
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
  const { target, request } = input;
  const webCommit = (sha: string | undefined) =>
    sha && target.repo.webUrl ? `${target.repo.webUrl}/commit/${sha}` : undefined;
  switch (kind) {
    case 'planRollback': {
      const p = lastResult(acts, 'findPromotion');
      const e = lastResult(acts, 'engineState');
      const d = lastResult(acts, 'driftReport');
      if (!p || !e || !d) return undefined;
      return clean({
        promotion: str(p.sha),
        engineRevision: str(e.syncedRevision),
        engineSync: str(e.syncStatus),
        engineHealth: str(e.health),
        engineResourceVersion: str(e.resourceVersion),
        realDrift: num(d.real),
        commitUrl: str(p.url),
      });
    }
    case 'revertPromotion': {
      const a = completed(acts, 'revertPromotion').at(-1);
      if (!a) return undefined;
      const r = obj(a.result);
      const revertSha = str(r.revertSha);
      return clean({
        revertSha,
        reverted: str(obj(a.input).sha),
        reused: bool(r.reused),
        pushAttempts: num(r.attempts),
        foreignCommitsRebased: num(r.foreignCommitsRebased),
        commitUrl: webCommit(revertSha),
        author: `${request.requester.name} <${request.requester.email}>`,
      });
    }
    case 'refresh': {
      const r = lastResult(acts, 'requestRefresh');
      return r && clean({ annotation: str(r.annotated), syncRequested: bool(r.syncRequested) });
    }
    case 'waitForSynced': {
      const r = lastResult(acts, 'waitForSynced');
      if (r?.synced !== true) return undefined;
      const s = obj(r.state);
      return clean({
        syncRevision: str(s.syncedRevision),
        syncStatus: str(s.syncStatus),
        engineResourceVersion: str(s.resourceVersion),
      });
    }
    case 'verifyHealth': {
      const r = lastResult(acts, 'verifyHealth');
      if (!r) return undefined;
      const workloads = arr(r.workloads)
        .filter((w): w is string => typeof w === 'string')
        .join('; ');
      if (r.restored === true)
        return clean({ healthyAt: str(r.healthyAt), engineHealth: str(r.engineHealth), workloads });
      const watch = lastResult(acts, 'recentOverwrites');
      const overwrittenLiveEdits = watch
        ? arr(watch.overwrites)
            .map(obj)
            .filter((o) => o.origin === 'live-edit').length
        : undefined;
      return clean({
        engineHealth: str(r.engineHealth),
        workloads,
        ...(str(r.unrecoverable) ? { unrecoverable: str(r.unrecoverable) } : {}),
        realDrift: num(lastResult(acts, 'driftReport')?.real),
        overwrittenLiveEdits,
      });
    }
    case 'planEmergency': {
      const planned = completed(acts, 'planLiveChanges').at(-1);
      const git = lastResult(acts, 'planGitEdits');
      const engine = lastResult(acts, 'engineState');
      if (!planned || !git || !engine) return undefined;
      const objects = arr(planned.result)
        .map(obj)
        .map((p) => `${str(p.object)}@${str(p.resourceVersion)}`)
        .join(', ');
      const files = [
        ...new Set(
          arr(git.edits)
            .map(obj)
            .map((e) => str(e.file))
            .filter((f): f is string => !!f),
        ),
      ].join(', ');
      return clean({
        objects,
        gitBase: str(git.base),
        gitFiles: files,
        engineResourceVersion: str(engine.resourceVersion),
      });
    }
    case 'pauseAutoSync': {
      const a = completed(acts, 'pauseAutoSync').at(-1);
      const held = lastResult(acts, 'verifyPauseHeld');
      if (!a || !held || held.held !== true) return undefined;
      const policy = obj(a.result).policy ?? null;
      const lease = obj(obj(a.input).lease);
      return clean({
        engine: `${target.engine.kind}/${target.engine.namespace}/${target.engine.name}`,
        recordedPolicy: JSON.stringify(policy),
        leaseExpires: str(lease.expiresAt),
        held: str(held.message),
      });
    }
    case 'patchLive': {
      const plannedObjects = arr(completed(all, 'planLiveChanges').at(-1)?.result)
        .map(obj)
        .map((p) => str(p.object) ?? '?');
      const versions = completed(acts, 'patchLive').map((a, i) => {
        const r = obj(a.result);
        return `${plannedObjects[i] ?? '?'} ${str(r.before)}→${str(r.after)}${r.reused === true ? ' (already applied)' : ''}`;
      });
      return versions.length ? { resourceVersions: versions.join('; ') } : undefined;
    }
    case 'commitToGit': {
      const r = lastResult(acts, 'commitLiveChange');
      if (!r) return undefined;
      const sha = str(r.sha);
      return clean({
        commitSha: sha,
        reused: bool(r.reused),
        pushAttempts: num(r.attempts),
        files: arr(r.files)
          .filter((f): f is string => typeof f === 'string')
          .join(', '),
        commitUrl: webCommit(sha),
        author: `${request.requester.name} <${request.requester.email}>`,
      });
    }
    case 'waitForGitToMatchLive': {
      const r = completed(acts, 'gitMatchesLive')
        .map((a) => obj(a.result))
        .find((x) => x.matches === true);
      return r && clean({ gitRevision: str(r.revision) });
    }
    case 'awaitEngineRevision': {
      const r = lastResult(acts, 'awaitEngineRevision');
      return r && clean({ fetchedRevision: str(r.fetched), annotation: str(r.annotated) });
    }
    case 'resumeAutoSync': {
      const resumed = completed(acts, 'resumeAutoSync').at(-1);
      const gate = lastResult(acts, 'gitMatchesLive');
      if (!resumed || !gate) return undefined;
      return clean({
        restoredPolicy: JSON.stringify(obj(resumed.input).policy ?? null),
        gitRevision: str(gate.revision),
      });
    }
    case 'approve':
    case 'notify':
      return undefined;
  }
}
