/** Is drift detected and healed? Edit a managed object live and time OutOfSync and self-heal. */
import { drillActs, drillWaits } from './activities.js';
import { check, requireTarget, since, type DrillContext } from './context.js';

export async function driftDrill(ctx: DrillContext): Promise<void> {
  const target = requireTarget(ctx);
  const { drill } = ctx.input;
  const injection = await drillActs.injectDrift({ target, token: ctx.key });
  ctx.cleanups.unshift({
    name: 'put the drifted value back if it is still there',
    run: async () =>
      (await drillActs.restoreDrift({ target, injection })).restored
        ? `restored ${injection.key} by hand`
        : 'the engine had already healed it',
  });
  const outcome = await drillWaits.watchDrift({
    target,
    injection,
    timeoutMs: Math.max(drill.targets.timeToRestoreMs, 120_000),
  });
  ctx.card.timeToDetectMs = since(injection.at, outcome.detectedAt);
  ctx.card.timeToRestoreMs = since(injection.at, outcome.healedAt);
  check(
    ctx,
    'drift detected',
    !!outcome.detectedAt,
    outcome.detectedAt
      ? `${target.engine.kind === 'argocd' ? 'OutOfSync' : 'corrected'}` +
          ` after ${Math.round(ctx.card.timeToDetectMs! / 1000)}s`
      : outcome.message,
  );
  check(
    ctx,
    'drift healed by the engine',
    !!outcome.healedAt,
    outcome.selfHeal ? outcome.message : `self-heal is off for ${target.engine.name}: ${outcome.message}`,
  );
  if (ctx.card.timeToRestoreMs !== undefined) {
    check(
      ctx,
      'time to heal within target',
      ctx.card.timeToRestoreMs <= drill.targets.timeToRestoreMs,
      `${Math.round(ctx.card.timeToRestoreMs / 1000)}s (target ${Math.round(drill.targets.timeToRestoreMs / 1000)}s)`,
    );
  }
}
