/**
 * The steps of the rollback procedure. Each is orchestration only: every side effect is an
 * activity, and each activity is idempotent so a replayed or retried step applies once.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { readActs, gitActs, waitActs } from './activities.js';
import { FailureType } from './types.js';
import { targetRevision, type StepContext, type StepResult } from './step-context.js';
import type { RollbackPlan, RunbookStep } from './types.js';

function describeDrift(plan: Pick<RollbackPlan, 'drift'>): string {
  const real = plan.drift.objects.filter((o) => o.fields.length > 0 || o.kind !== 'modified');
  return real.map((o) => `${o.object} (${o.kind}${o.fields.length ? `: ${o.fields.map((f) => f.path).join(', ')}` : ''})`).join('; ');
}

export async function planRollback(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const promotion = await readActs.findPromotion({ target, commit: request.commit });
  const engine = await readActs.engineState(target);
  const drift = await readActs.driftReport({ target });
  const warnings: string[] = [];
  if (promotion.config.length > 0) {
    warnings.push(`This promotion also changed config (${promotion.config.map((c) => `${c.object} ${c.key}`).join(', ')}): the revert undoes those changes too.`);
  }
  if (drift.real > 0) {
    warnings.push(`Live state differs from Git in ${drift.real} object(s): ${describeDrift({ drift })}. Reverting the image may not restore service if the regression lives in that drift.`);
  }
  if (drift.unreadable?.length) warnings.push(`rewind may not read ${drift.unreadable.join(', ')}: those objects were not compared with Git.`);
  if (!engine.autoSync) warnings.push(`Auto-sync is off for ${target.engine.name}: rewind will request the sync itself.`);
  if (engine.operationPhase === 'Running') warnings.push('A sync operation is in progress right now.');
  const plan: RollbackPlan = { promotion, engine, drift, warnings };
  ctx.promotion = promotion;
  ctx.engineBefore = engine;
  ctx.state.status.plan = plan;
  const images = promotion.images.map((i) => `${i.container} ${i.from} → ${i.to}`).join(', ') || 'no image change';
  return {
    summary: `revert ${promotion.sha.slice(0, 7)} "${promotion.subject}" (${images})${warnings.length ? `; ${warnings.length} warning(s)` : ''}`,
    evidence: { promotion: promotion.sha, engineRevision: engine.syncedRevision, engineSync: engine.syncStatus, engineHealth: engine.health, engineResourceVersion: engine.resourceVersion, realDrift: drift.real, commitUrl: promotion.url },
  };
}

export async function revertPromotion(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  if (!ctx.promotion) throw new Error('revertPromotion needs planRollback first');
  const res = await gitActs.revertPromotion({ target, sha: ctx.promotion.sha, requester: request.requester, reason: request.reason, incidentId: request.incidentId, runId: ctx.runKey });
  ctx.revertSha = res.revertSha;
  ctx.state.status.revertSha = res.revertSha;
  return {
    summary: `${res.reused ? 'found already pushed' : 'pushed'} revert ${res.revertSha.slice(0, 7)} as ${request.requester.name}`,
    evidence: { revertSha: res.revertSha, reverted: ctx.promotion.sha, reused: res.reused, pushAttempts: res.attempts, foreignCommitsRebased: res.foreignCommitsRebased, commitUrl: target.repo.webUrl ? `${target.repo.webUrl}/commit/${res.revertSha}` : undefined, author: `${request.requester.name} <${request.requester.email}>` },
  };
}

export async function refresh(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const res = await readActs.requestRefresh({ target: ctx.input.target, token: ctx.runKey, revision: targetRevision(ctx) });
  return { summary: `asked ${ctx.input.target.engine.kind} to reconcile now (${res.annotated}${res.syncRequested ? ', sync requested' : ''})`, evidence: { annotation: res.annotated, syncRequested: res.syncRequested } };
}

export async function waitForSynced(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const revision = targetRevision(ctx);
  if (!revision) throw ApplicationFailure.nonRetryable('waitForSynced needs a commit from an earlier step', FailureType.BadInput);
  const res = await waitActs.waitForSynced({ target, revision, timeoutMs: target.health.timeoutMs });
  if (!res.synced) {
    return {
      summary: `engine did not sync ${revision.slice(0, 7)} within ${Math.round(res.waitedMs / 1000)}s (last: ${res.state.syncStatus} at ${res.state.syncedRevision ?? 'unknown'})`,
      stop: { phase: 'not-restored', result: `The revert was pushed but ${target.engine.name} did not sync it within the deadline; check the engine.` },
    };
  }
  ctx.syncedAt = res.at;
  return { summary: `Synced at ${revision.slice(0, 7)}`, evidence: { syncRevision: res.state.syncedRevision, syncStatus: res.state.syncStatus, engineResourceVersion: res.state.resourceVersion } };
}

export async function verifyHealth(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const res = await waitActs.verifyHealth({ target, windowMs: target.health.windowMs, timeoutMs: target.health.timeoutMs });
  if (res.restored) {
    ctx.state.status.restoredAt = res.healthyAt;
    return { summary: `Healthy for ${Math.round(target.health.windowMs / 1000)}s: ${res.message}`, evidence: { healthyAt: res.healthyAt, engineHealth: res.engineHealth, workloads: res.workloads.join('; ') } };
  }
  // Health did not come back: the regression may live in the environment, not the promotion.
  const drift = await readActs.driftReport({ target, revision: targetRevision(ctx) });
  if (ctx.state.status.plan) ctx.state.status.plan.drift = drift;
  const driftText = drift.real > 0 ? `Live differs from Git: ${describeDrift({ drift })}.` : 'No drift between Git and live was found; look at dependencies and runtime.';
  return {
    summary: `not healthy after ${Math.round(target.health.timeoutMs / 1000)}s: ${res.message}`,
    evidence: { engineHealth: res.engineHealth, workloads: res.workloads.join('; '), realDrift: drift.real },
    stop: { phase: 'not-restored', result: `Not restored: the revert is live but health did not return (${res.message}). The regression may live in the environment (config drift), not in the promotion. ${driftText}` },
  };
}
