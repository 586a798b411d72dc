/**
 * The steps of the rollback procedure. Each is orchestration only: every side effect is an
 * activity, and each activity is idempotent so a replayed or retried step applies once.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { readActs, gitActs, waitActs } from './activities.js';
import { FailureType } from './types.js';
import { heldFields, targetRevision, type StepContext, type StepResult } from './step-context.js';
import type { PromotionDescription, RollbackPlan, RunbookStep } from './types.js';
import { environmentFindings } from './diagnosis.js';
import { dependencyMigrations } from './migration-dependencies.js';
import { evidenceOf } from './evidence.js';
import { objectLabel, shownValue } from './object-label.js';

function describeDrift(plan: Pick<RollbackPlan, 'drift'>): string {
  const real = plan.drift.objects.filter((o) => o.fields.length > 0 || o.kind !== 'modified');
  return real
    .map((o) => `${o.object} (${o.kind}${o.fields.length ? `: ${o.fields.map((f) => f.path).join(', ')}` : ''})`)
    .join('; ');
}

/** How far before the promotion a live edit overwritten by a sync still counts as a suspect. */
const LOOKBACK_MS = 7 * 24 * 3_600_000;

/** Live edits a sync overwrote and objects the last sync changed that the promotion did not: what else changed. */
async function lookBeyondThePromotion(ctx: StepContext, promotion: PromotionDescription) {
  const { target } = ctx.input;
  // A live edit can be overwritten before the promotion too (Flux re-applies Git on every interval,
  // self-heal at once); its pods keep the old value until the promotion restarts them. So look back
  // a week before the promotion, not from it.
  const since = new Date(Date.parse(promotion.date) - LOOKBACK_MS).toISOString();
  const [watch, sync] = await Promise.all([
    readActs.recentOverwrites({ target, since }),
    readActs.lastSyncReport(target),
  ]);
  return environmentFindings({ target, promotion, watch, ...(sync ? { sync } : {}) });
}

/**
 * Whether the images the revert brings back are still in their registries (only where rewind.yaml
 * lists the host): one that is gone fails the plan before approval, since the rollout could never
 * pull it; one rewind could not check is a warning.
 */
async function oldImagesExist(ctx: StepContext, promotion: PromotionDescription): Promise<string[]> {
  const { target } = ctx.input;
  const back = [...new Set(promotion.images.map((i) => i.from))];
  // Runs started before this check existed replay without it.
  if (!back.length || !target.registries || !patched('old-image-check')) return [];
  const checks = await readActs.checkImages({ target, images: back });
  const gone = checks.filter((c) => c.state === 'missing');
  if (gone.length)
    throw ApplicationFailure.nonRetryable(
      `reverting ${promotion.sha.slice(0, 7)} "${promotion.subject}" would bring back ` +
        `${gone.map((g) => `${g.image}, which ${g.host} no longer has (${g.detail})`).join('; ')}: its pods could ` +
        `never start, so rewind will not revert it; nothing was changed. Push that image again, roll back further to ` +
        `a version that still exists (rewind rollback ${target.app} --env ${target.env} --to <sha>), or roll forward.`,
      FailureType.ImageGone,
    );
  return checks
    .filter((c) => c.state === 'unknown')
    .map((c) => `rewind could not check that ${c.image} still exists: ${c.host ?? 'its registry'}: ${c.detail}.`);
}

/**
 * What the plan reads once the promotion is known. The reads are independent, so they are asked at
 * once: the plan costs one round trip through Temporal instead of five (each ~20-40 ms on a busy
 * worker, bench/worker-overhead.ts). Runs started before this replay them one after another.
 */
async function planReads(ctx: StepContext, promotion: PromotionDescription) {
  const { target } = ctx.input;
  if (patched('plan-reads-at-once')) {
    const [imageWarnings, engine, drift, environment, check] = await Promise.all([
      oldImagesExist(ctx, promotion),
      readActs.engineState(target),
      readActs.driftReport({ target }),
      lookBeyondThePromotion(ctx, promotion),
      readActs.checkRevert({ target, sha: promotion.sha }),
    ]);
    return { imageWarnings, engine, drift, environment, check };
  }
  const imageWarnings = await oldImagesExist(ctx, promotion);
  const engine = await readActs.engineState(target);
  const drift = await readActs.driftReport({ target });
  const environment = await lookBeyondThePromotion(ctx, promotion);
  const check = await readActs.checkRevert({ target, sha: promotion.sha });
  return { imageWarnings, engine, drift, environment, check };
}

export async function planRollback(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const promotion = await readActs.findPromotion({ target, commit: request.commit });
  const contract = promotion.rollbackContract;
  if (contract?.contract === 'impossible')
    throw ApplicationFailure.nonRetryable(
      `promotion ${promotion.sha.slice(0, 7)} "${promotion.subject}" declares that it cannot be ` +
        `rolled back (Rollback-Contract: impossible, by ${contract.from}), so rewind will not revert ` +
        `it; nothing was changed. Roll forward instead: promote a fixed version, or change what is ` +
        `broken through the emergency path: rewind emergency ${target.app} --env ${target.env} --change ` +
        `"<kind>/<name> <KEY>=<value>" --reason "roll forward from ${promotion.sha.slice(0, 7)}"`,
      FailureType.RollbackImpossible,
    );
  const { imageWarnings, engine, drift, environment, check } = await planReads(ctx, promotion);
  const warnings: string[] = [...imageWarnings];
  if (environment.overwritten.length || environment.untouchedByPromotion.length) {
    warnings.push(
      `${environment.lines.join(' ')} Reverting the promotion does not put ` +
        `that back: the regression may live in the environment, not in the ` +
        `image.${environment.nextCommands.length ? ` To restore it: ${environment.nextCommands.join('; ')}` : ''}`,
    );
  }
  if (contract?.contract === 'manual')
    warnings.push(
      `Promotion ${promotion.sha.slice(0, 7)} declares a manual rollback (by ${contract.from}): the ` +
        `revert alone is not enough; follow the steps in its commit message before calling it restored.`,
    );
  if (contract?.contract === 'unknown')
    warnings.push(
      `Promotion ${promotion.sha.slice(0, 7)} declares the rollback ` +
        `contract ${JSON.stringify(contract.value)} (by ${contract.from}), which rewind does ` +
        `not know (automatic, manual or impossible): read its commit message before approving.`,
    );
  const shipped = dependencyMigrations(target.engine.name, engine, promotion);
  for (const m of [...(promotion.migrations ?? []), ...shipped])
    warnings.push(
      `${m.why}: reverting does not undo a migration it ran. Check ` +
        `that ${promotion.images[0]?.from ?? 'the previous version'} works with the migrated schema before approving.`,
    );
  if (promotion.config.length > 0) {
    warnings.push(
      `This promotion also changed config (` +
        `${promotion.config
          .map((c) => `${objectLabel(c.object)} ${c.key}: ${shownValue(c.from)} → ${shownValue(c.to)}`)
          .join(', ')}` +
        `): the revert undoes those changes too.`,
    );
  }
  if (drift.real > 0) {
    warnings.push(
      `Live state differs from Git in ${drift.real} object(s): ${describeDrift({ drift })}. ` +
        `Reverting the image may not restore service if the regression lives in that drift.`,
    );
  }
  if (drift.unreadable?.length)
    warnings.push(`rewind may not read ${drift.unreadable.join(', ')}: those objects were not compared with Git.`);
  if (check.conflicts.length) {
    const later = check.laterCommits.map((c) => `${c.sha.slice(0, 7)} "${c.subject}" (${c.author})`).join(', ');
    warnings.push(
      `Reverting ${promotion.sha.slice(0, 7)} will conflict in ${check.conflicts.join(', ')}` +
        `${later ? ` with later change(s): ${later}` : ''}: after approval it would stop with nothing ` +
        `pushed. Reject this run and revert by hand, or roll back the later change first (--to <sha>).`,
    );
  }
  if (!engine.autoSync)
    warnings.push(`Auto-sync is off for ${target.engine.name}: rewind will request the sync itself.`);
  if (engine.operationPhase === 'Running') warnings.push('A sync operation is in progress right now.');
  const plan: RollbackPlan = {
    promotion: shipped.length ? { ...promotion, migrations: [...(promotion.migrations ?? []), ...shipped] } : promotion,
    engine,
    drift,
    environment: { lines: environment.lines, nextCommands: environment.nextCommands, complete: environment.complete },
    warnings,
  };
  ctx.promotion = promotion;
  ctx.engineBefore = engine;
  ctx.state.status.plan = plan;
  const images = promotion.images.map((i) => `${i.container} ${i.from} → ${i.to}`).join(', ') || 'no image change';
  return {
    summary:
      `revert ${promotion.sha.slice(0, 7)} "${promotion.subject}" ` +
      `(${images})${warnings.length ? `; ${warnings.length} warning(s)` : ''}`,
    evidence: evidenceOf.planRollback(promotion, engine, drift),
  };
}

export async function revertPromotion(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  if (!ctx.promotion) throw new Error('revertPromotion needs planRollback first');
  const res = await gitActs.revertPromotion({
    target,
    sha: ctx.promotion.sha,
    requester: request.requester,
    reason: request.reason,
    incidentId: request.incidentId,
    runId: ctx.runKey,
  });
  ctx.revertSha = res.revertSha;
  ctx.state.status.revertSha = res.revertSha;
  if (res.branch) ctx.runBranch = res.branch;
  return {
    summary:
      `${res.reused ? 'found already pushed' : 'pushed'} revert ` +
      `${res.revertSha.slice(0, 7)}${res.branch ? ` to ${res.branch} for review` : ''} as ${request.requester.name}`,
    evidence: evidenceOf.revertPromotion(ctx.input, ctx.promotion.sha, res),
  };
}

export async function refresh(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const res = await readActs.requestRefresh({
    target: ctx.input.target,
    token: ctx.runKey,
    revision: targetRevision(ctx),
  });
  return {
    summary:
      `asked ${ctx.input.target.engine.kind} to reconcile now ` +
      `(${res.annotated}${res.syncRequested ? ', sync requested' : ''})`,
    evidence: evidenceOf.refresh(res),
  };
}

export async function waitForSynced(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const revision = targetRevision(ctx);
  if (!revision)
    throw ApplicationFailure.nonRetryable('waitForSynced needs a commit from an earlier step', FailureType.BadInput);
  // Emergency path: the patched fields must hold through the sync that follows the resume.
  const res = await waitActs.waitForSynced({
    target,
    revision,
    timeoutMs: target.health.timeoutMs,
    hold: heldFields(ctx),
  });
  if (res.flipped) {
    const f = res.flipped;
    throw ApplicationFailure.nonRetryable(
      `${target.engine.name} put ${f.object} ${f.path} back to ${JSON.stringify(f.seen)}` +
        ` (resourceVersion ${f.resourceVersion}, ${f.at}) after auto-sync resumed, although Git ` +
        `at ${revision.slice(0, 7)} holds ${JSON.stringify(f.desired)}; the engine applied an older revision`,
      FailureType.BadInput,
    );
  }
  if (!res.synced) {
    return {
      summary:
        `engine did not sync ${revision.slice(0, 7)} within ${Math.round(res.waitedMs / 1000)}s ` +
        `(last: ${res.state.syncStatus} at ${res.state.syncedRevision ?? 'unknown'})`,
      stop: {
        phase: 'not-restored',
        result:
          `The revert was pushed but ${target.engine.name} ` +
          `did not sync it within the deadline; ` +
          `check the engine.`,
      },
    };
  }
  ctx.syncedAt = res.at;
  return {
    summary: `Synced at ${revision.slice(0, 7)}`,
    evidence: evidenceOf.waitForSynced(res.state),
  };
}

export async function verifyHealth(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  // Only evidence newer than the change counts: the sync of the revert or of the emergency
  // commit, else the live patch (verify-service), else this step's start.
  const since = ctx.syncedAt ?? ctx.patchedAt ?? new Date().toISOString();
  const res = await waitActs.verifyHealth({
    target,
    windowMs: target.health.windowMs,
    timeoutMs: target.health.timeoutMs,
    since,
  });
  if (res.restored) {
    ctx.state.status.restoredAt = res.healthyAt;
    return {
      summary: `Healthy for ${Math.round(target.health.windowMs / 1000)}s: ${res.message}`,
      evidence: evidenceOf.healthRestored(res),
    };
  }
  if (ctx.patched) {
    // Emergency path: the live change is in place (and maybe in Git); the run holds the pause.
    const where = ctx.commitSha
      ? `the live change is in place and in Git at ${ctx.commitSha.slice(0, 7)}`
      : 'the live change is in place';
    throw ApplicationFailure.nonRetryable(
      `${where} but ${target.app}/${target.env} is ${res.message}`,
      FailureType.HealthNotRestored,
      evidenceOf.healthNotRestored(res),
    );
  }
  // Rollback: health did not come back after the revert; the regression may live in the environment.
  const drift = await readActs.driftReport({ target, revision: targetRevision(ctx) });
  const plan = ctx.state.status.plan;
  if (plan) plan.drift = drift;
  const environment = ctx.promotion ? await lookBeyondThePromotion(ctx, ctx.promotion) : undefined;
  if (plan && environment)
    plan.environment = {
      lines: environment.lines,
      nextCommands: environment.nextCommands,
      complete: environment.complete,
    };
  const found: string[] = [];
  if (drift.real > 0) found.push(`Live differs from Git: ${describeDrift({ drift })}.`);
  found.push(...(environment?.lines ?? []));
  // "No drift" only once the last sync was examined too: a sync that overwrote a live edit is the drift.
  if (!found.length)
    found.push(
      'No drift between Git and live, and the last sync overwrote ' +
        'no live edit rewind saw: look at dependencies and runtime.',
    );
  const next = environment?.nextCommands.length ? ` Next: ${environment.nextCommands.join('; ')}` : '';
  const revert = ctx.revertSha ? `the revert ${ctx.revertSha.slice(0, 7)} is live` : 'the revert is live';
  return {
    summary: res.message,
    evidence: evidenceOf.healthNotRestored(res, {
      realDrift: drift.real,
      overwrittenLiveEdits: environment?.overwritten.length ?? 0,
    }),
    stop: {
      phase: 'not-restored',
      result:
        `Not restored: ${revert} but health did not return (${res.message}). The regression may ` +
        `live in the environment (config drift), not in the promotion. ${found.join(' ')}${next}`,
    },
  };
}
