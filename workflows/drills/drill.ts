/**
 * One game-day drill. It holds the app/env lock (workflow id `rewind/<app>/<env>`, the same id
 * every real run uses), so drills and incidents exclude each other. Injections register their
 * cleanup as they go; cleanups run newest first where they cannot be cancelled, on success,
 * failure, timeout and abort, and the target is then verified to be back in its pre-drill state.
 */
import { CancellationScope, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { accessAuditDrill } from './access-audit-drill.js';
import { drillActs, drillWaits } from './activities.js';
import { check, type DrillContext } from './context.js';
import { driftDrill } from './drift-drill.js';
import { emergencyDrill } from './emergency-drill.js';
import { abortSignal, scorecardQuery } from './messages.js';
import { rebuildDrill } from './rebuild-drill.js';
import { rollbackDrill } from './rollback-drill.js';
import type { DrillInput, PreDrillState, Scorecard } from './types.js';
import { failureMessage as message } from '../failure-message.js';

export async function drillWorkflow(input: DrillInput): Promise<Scorecard> {
  const info = workflowInfo();
  const card: Scorecard = {
    schema: 'rewind.scorecard/v1',
    drill: input.drill.name,
    kind: input.drill.kind,
    workflowId: info.workflowId,
    trigger: input.trigger,
    ...(input.target ? { app: input.target.app, env: input.target.env } : {}),
    startedAt: new Date().toISOString(),
    stage: 'running',
    checks: [],
    targets: input.drill.targets,
    cleanup: { done: false, verified: false, detail: '' },
    runs: [],
  };
  const ctx: DrillContext = {
    input,
    card,
    cleanups: [],
    key: `${info.workflowId}/${info.runId}`,
    workflowId: info.workflowId,
  };
  let abortedBy: string | undefined;
  const scope = new CancellationScope();
  setHandler(scorecardQuery, () => card);
  setHandler(abortSignal, ({ by }) => {
    abortedBy ??= by;
    scope.cancel();
  });

  let before: PreDrillState | undefined;
  try {
    await scope.run(async () => {
      if (input.target) {
        if (!input.target.drillTarget) throw new Error(`${input.target.app}/${input.target.env} is not a drill target`);
        const snapshot = await drillActs.snapshotTarget({ target: input.target });
        before = snapshot;
        if (snapshot.health !== 'Healthy')
          throw new Error(
            `${input.target.app}/${input.target.env} is ${snapshot.health} before ` +
              `the drill: a drill needs a healthy target`,
          );
      }
      switch (input.drill.kind) {
        case 'rollback':
          return rollbackDrill(ctx);
        case 'drift':
          return driftDrill(ctx);
        case 'rebuild':
          return rebuildDrill(ctx, before!.headSha);
        case 'emergency':
          return emergencyDrill(ctx);
        case 'access-audit':
          return accessAuditDrill(ctx);
      }
    });
  } catch (err) {
    if (isCancellation(err) || abortedBy) {
      card.outcome = 'aborted';
      card.reason = `aborted by ${abortedBy ?? 'rewind'}`;
    } else check(ctx, 'drill ran to the end', false, message(err));
  }

  card.stage = 'cleaning-up';
  await CancellationScope.nonCancellable(async () => {
    const notes: string[] = [];
    let failed = false;
    for (const c of ctx.cleanups) {
      try {
        notes.push(`${c.name}: ${await c.run()}`);
      } catch (err) {
        failed = true;
        notes.push(`${c.name}: FAILED ${message(err)}`);
      }
    }
    card.cleanup.done = !failed;
    if (input.target && before) {
      const verdict = await drillWaits
        .verifyPreDrillState({ target: input.target, before, timeoutMs: 300_000 })
        .catch((err: unknown) => ({ ok: false, detail: message(err) }));
      card.cleanup.verified = verdict.ok;
      notes.push(verdict.detail);
    } else {
      card.cleanup.verified = !failed;
    }
    card.cleanup.detail = notes.join('; ') || 'nothing to clean up';
  });

  card.endedAt = new Date().toISOString();
  card.stage = 'done';
  card.outcome ??= card.checks.every((c) => c.passed) && card.cleanup.verified ? 'passed' : 'failed';
  await drillActs
    .publishScorecard({ card, channel: input.drill.channel ?? input.target?.channel })
    .catch(() => undefined);
  await drillActs.recordDrillScore({ card }).catch(() => undefined);
  return card;
}
