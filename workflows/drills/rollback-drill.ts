/**
 * Can you roll back by reverting a commit? Push a known-bad promotion to the drill target,
 * time how long until it is detected, run the real rollback runbook as a child (approval
 * waived by drill policy), and check that Git equals live afterwards.
 */
import { executeChild } from '@temporalio/workflow';
import { runbookWorkflow } from '../runbook.js';
import { DRILL_PERSON } from './drill-person.js';
import { drillActs, drillWaits } from './activities.js';
import { check, requireTarget, since, type DrillContext } from './context.js';

export async function rollbackDrill(ctx: DrillContext): Promise<void> {
  const target = requireTarget(ctx);
  const { drill, runbooks } = ctx.input;
  const injected = await drillActs.pushDrillPromotion({
    target,
    tag: drill.badTag!,
    runId: ctx.key,
    drill: drill.name,
  });
  ctx.cleanups.unshift({
    name: 'revert the drill promotion if Git still has it',
    run: async () => {
      try {
        const r = await drillActs.revertPromotion({
          target,
          sha: injected.sha,
          requester: DRILL_PERSON,
          reason: `cleanup of game-day drill ${drill.name}`,
          runId: `${ctx.key}/cleanup`,
        });
        await drillActs.requestRefresh({ target, token: `${ctx.key}/cleanup`, revision: r.revertSha });
        return `reverted the drill promotion (${r.revertSha.slice(0, 7)})`;
      } catch (err) {
        if (
          /RevertNotNeeded|already undone|not needed/i.test(
            String((err as { cause?: { type?: string; message?: string } }).cause?.type ?? '') +
              String((err as Error).message),
          )
        )
          return 'the rollback had already reverted it';
        throw err;
      }
    },
  });
  check(ctx, 'bad promotion pushed', true, `${injected.sha.slice(0, 7)}: ${drill.badTag}`);
  await drillActs.requestRefresh({ target, token: `${ctx.key}/inject`, revision: injected.sha });
  const detection = await drillWaits.waitForDetection({
    target,
    timeoutMs: Math.max(drill.targets.timeToDetectMs * 3, 30_000),
  });
  ctx.card.timeToDetectMs = since(injected.at, detection.detectedAt);
  check(ctx, 'fault detected (engine Degraded or rollout failed)', !!detection.detectedAt, detection.message);
  if (!detection.detectedAt) return;
  check(
    ctx,
    'time to detect within target',
    ctx.card.timeToDetectMs! <= drill.targets.timeToDetectMs,
    `${Math.round(ctx.card.timeToDetectMs! / 1000)}s (target ${Math.round(drill.targets.timeToDetectMs / 1000)}s)`,
  );

  const childId = `${ctx.workflowId}/drill-rollback`;
  ctx.card.runs.push(childId);
  const run = await executeChild(runbookWorkflow, {
    workflowId: childId,
    args: [
      {
        runbook: runbooks.rollback,
        target,
        request: {
          requester: DRILL_PERSON,
          reason: `game-day drill ${drill.name}`,
          source: 'drill',
          commit: injected.sha,
        },
      },
    ],
  });
  check(ctx, 'rolled back by reverting a commit', run.phase === 'restored', run.result ?? run.phase);
  ctx.card.timeToRestoreMs = since(injected.at, run.restoredAt);
  if (ctx.card.timeToRestoreMs !== undefined) {
    check(
      ctx,
      'time to restore within target',
      ctx.card.timeToRestoreMs <= drill.targets.timeToRestoreMs,
      `${Math.round(ctx.card.timeToRestoreMs / 1000)}s (target ${Math.round(drill.targets.timeToRestoreMs / 1000)}s)`,
    );
  }
  const drift = await drillActs.driftReport({ target });
  check(
    ctx,
    'Git equals live after the rollback',
    drift.real === 0,
    drift.real === 0
      ? `no drift at ${drift.revision.slice(0, 7)}`
      : `${drift.real} object(s) differ: ${drift.objects.map((o) => o.object).join(', ')}`,
  );
}
