/** Can you rebuild a namespace from Git? Delete the app's objects, sync, time until all are back and healthy. */
import { drillActs, drillWaits } from './activities.js';
import { check, requireTarget, since, type DrillContext } from './context.js';

export async function rebuildDrill(ctx: DrillContext, headSha: string): Promise<void> {
  const target = requireTarget(ctx);
  const { drill } = ctx.input;
  const at = new Date().toISOString();
  const { deleted } = await drillActs.deleteManagedObjects({ target });
  const resync = async () => {
    await drillActs.requestRefresh({ target, token: `${ctx.key}/rebuild`, revision: headSha, force: true });
    return 'asked the engine to sync';
  };
  ctx.cleanups.unshift({ name: 'make sure the engine synced the deleted objects back', run: resync });
  check(ctx, 'managed objects deleted', deleted.length > 0, deleted.join(', ') || 'nothing to delete');
  await resync();
  const synced = await drillWaits.waitForSynced({
    target,
    revision: headSha,
    timeoutMs: drill.targets.timeToRestoreMs * 2,
  });
  const health = await drillWaits.verifyHealth({
    target,
    windowMs: target.health.windowMs,
    timeoutMs: drill.targets.timeToRestoreMs * 2,
  });
  const { missing } = await drillActs.allManagedObjectsExist({ target });
  check(
    ctx,
    'every object rebuilt from Git',
    missing.length === 0 && synced.synced,
    missing.length ? `missing: ${missing.join(', ')}` : `Synced at ${headSha.slice(0, 7)}`,
  );
  check(ctx, 'healthy after the rebuild', health.restored, health.message);
  ctx.card.timeToRestoreMs = since(at, health.healthyAt);
  if (ctx.card.timeToRestoreMs !== undefined) {
    check(
      ctx,
      'time to rebuild within target',
      ctx.card.timeToRestoreMs <= drill.targets.timeToRestoreMs,
      `${Math.round(ctx.card.timeToRestoreMs / 1000)}s (target ${Math.round(drill.targets.timeToRestoreMs / 1000)}s)`,
    );
  }
}
