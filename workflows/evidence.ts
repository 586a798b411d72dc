/**
 * What each step records as evidence, from its activities' results. The step runners
 * (rollback-steps.ts, emergency-steps.ts) record it as the step ends; the timeline's history source
 * (src/lib/timeline/history-evidence.ts) rebuilds it from the same results in a closed history.
 * One builder per step kind, so both timelines carry the same SHAs and resourceVersions by
 * construction: a new evidence field is added here, once.
 *
 * Parameters are the parts of activity results each builder reads, typed structurally: the
 * workflow passes the results it holds, the history source the results it decoded.
 */
import type { Evidence, RunInput, TargetSnapshot } from './types.js';
import { objectLabel } from './object-label.js';

type Request = RunInput['request'];

const commitUrl = (target: TargetSnapshot, sha: string | undefined): string | undefined =>
  sha && target.repo.webUrl ? `${target.repo.webUrl}/commit/${sha}` : undefined;
const author = (request: Request): string => `${request.requester.name} <${request.requester.email}>`;

export interface EngineEvidence {
  syncStatus: string;
  syncedRevision?: string;
  health: string;
  resourceVersion?: string;
}

export interface HealthEvidence {
  engineHealth: string;
  workloads: readonly string[];
  healthyAt?: string;
  unrecoverable?: string;
}

export interface PatchedObject {
  /** The object as planEmergency planned it (`kind/namespace/name`). */
  object: string;
  before: string;
  after: string;
  reused: boolean;
}

export interface RestartedWorkload {
  workload: string;
  generation: number;
  reused: boolean;
}

/** The patch's "object (resourceVersion a → b)" list; also the step's summary text. */
export const patchedText = (patched: readonly PatchedObject[]): string =>
  patched
    .map(
      (p) =>
        `${objectLabel(p.object)} (resourceVersion ${p.before} → ${p.after}${p.reused ? ', already applied' : ''})`,
    )
    .join('; ');

/** The restart's "workload (generation n)" list; also part of the step's summary. */
export const restartedText = (restarted: readonly RestartedWorkload[]): string =>
  restarted.map((r) => `${r.workload} (generation ${r.generation}${r.reused ? ', already restarted' : ''})`).join(', ');

export const evidenceOf = {
  planRollback: (
    promotion: { sha: string; url?: string },
    engine: EngineEvidence,
    drift: { real: number },
  ): Evidence => ({
    promotion: promotion.sha,
    engineRevision: engine.syncedRevision,
    engineSync: engine.syncStatus,
    engineHealth: engine.health,
    engineResourceVersion: engine.resourceVersion,
    realDrift: drift.real,
    commitUrl: promotion.url,
  }),

  revertPromotion: (
    input: Pick<RunInput, 'target' | 'request'>,
    reverted: string,
    res: { revertSha: string; reused: boolean; attempts: number; foreignCommitsRebased?: number },
  ): Evidence => ({
    revertSha: res.revertSha,
    reverted,
    reused: res.reused,
    pushAttempts: res.attempts,
    foreignCommitsRebased: res.foreignCommitsRebased,
    commitUrl: commitUrl(input.target, res.revertSha),
    author: author(input.request),
  }),

  refresh: (res: { annotated: string; syncRequested: boolean }): Evidence => ({
    annotation: res.annotated,
    syncRequested: res.syncRequested,
  }),

  waitForSynced: (state: EngineEvidence): Evidence => ({
    syncRevision: state.syncedRevision,
    syncStatus: state.syncStatus,
    engineResourceVersion: state.resourceVersion,
  }),

  healthRestored: (res: HealthEvidence): Evidence => ({
    healthyAt: res.healthyAt,
    engineHealth: res.engineHealth,
    workloads: res.workloads.join('; '),
  }),

  /** `looked`: what a rollback found beyond the promotion (the emergency path looks no further). */
  healthNotRestored: (res: HealthEvidence, looked?: { realDrift: number; overwrittenLiveEdits: number }): Evidence => ({
    engineHealth: res.engineHealth,
    workloads: res.workloads.join('; '),
    ...(res.unrecoverable ? { unrecoverable: res.unrecoverable } : {}),
    ...(looked ?? {}),
  }),

  planEmergency: (
    planned: ReadonlyArray<{ object: string; resourceVersion: string }>,
    git: { base: string; edits: ReadonlyArray<{ file: string }> },
    engine: { resourceVersion?: string },
  ): Evidence => ({
    objects: planned.map((p) => `${p.object}@${p.resourceVersion}`).join(', '),
    gitBase: git.base,
    gitFiles: [...new Set(git.edits.map((e) => e.file))].join(', '),
    engineResourceVersion: engine.resourceVersion,
  }),

  pauseAutoSync: (
    target: TargetSnapshot,
    policy: unknown,
    lease: { expiresAt: string },
    held: string,
    settled: string | undefined,
  ): Evidence => ({
    engine: `${target.engine.kind}/${target.engine.namespace}/${target.engine.name}`,
    recordedPolicy: JSON.stringify(policy ?? null),
    leaseExpires: lease.expiresAt,
    held,
    settled,
  }),

  patchLive: (
    patched: readonly PatchedObject[],
    restarted: readonly RestartedWorkload[],
    restartedAt: string | undefined,
  ): Evidence => ({
    resourceVersions: patchedText(patched),
    ...(restarted.length ? { restarted: restartedText(restarted), restartedAt } : {}),
  }),

  commitToGit: (
    input: Pick<RunInput, 'target' | 'request'>,
    res: { sha: string; reused: boolean; attempts: number; files: readonly string[] },
  ): Evidence => ({
    commitSha: res.sha,
    reused: res.reused,
    pushAttempts: res.attempts,
    files: res.files.join(', '),
    commitUrl: commitUrl(input.target, res.sha),
    author: author(input.request),
  }),

  landPullRequest: (
    input: Pick<RunInput, 'target'>,
    opened: { number: number; url: string; branch: string; headSha: string },
    merged: { mergeSha?: string; mergedBy?: string },
    breakGlass: { merged: boolean; why?: string } | undefined,
  ): Evidence => ({
    pullRequest: opened.number,
    url: opened.url,
    branch: opened.branch,
    headSha: opened.headSha,
    mergeSha: merged.mergeSha,
    mergedBy: merged.mergedBy,
    commitUrl: commitUrl(input.target, merged.mergeSha),
    breakGlass: breakGlass ? (breakGlass.merged ? 'merged by rewind' : `refused: ${breakGlass.why}`) : undefined,
  }),

  waitForGitToMatchLive: (res: { revision: string }): Evidence => ({ gitRevision: res.revision }),

  awaitEngineRevision: (res: { fetched: string; annotated: string }): Evidence => ({
    fetchedRevision: res.fetched,
    annotation: res.annotated,
  }),

  resumeAutoSync: (policy: unknown, gate: { revision: string }): Evidence => ({
    restoredPolicy: JSON.stringify(policy ?? null),
    gitRevision: gate.revision,
  }),
};
