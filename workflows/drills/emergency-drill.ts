/**
 * The emergency path, rehearsed with a harmless change: the real runbook as a child, then
 * checks that auto-sync came back and Git holds the change, then the change is reverted.
 */
import { executeChild } from '@temporalio/workflow';
import { runbookWorkflow } from '../runbook.js';
import type { LiveChange } from '../types.js';
import { DRILL_PERSON } from './drill-person.js';
import { drillActs, drillWaits } from './activities.js';
import { check, requireTarget, since, type DrillContext } from './context.js';

export async function emergencyDrill(ctx: DrillContext): Promise<void> {
  const target = requireTarget(ctx);
  const { drill, runbooks } = ctx.input;
  const cm = await drillActs.harmlessChange({ target, token: ctx.key });
  const change: LiveChange = {
    object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: target.namespace, name: cm.name },
    patchType: 'merge',
    patch: { data: { [cm.key]: cm.value } },
  };
  const childId = `${ctx.workflowId}/drill-emergency`;
  ctx.card.runs.push(childId);
  const started = new Date().toISOString();
  const run = await executeChild(runbookWorkflow, {
    workflowId: childId,
    args: [
      {
        runbook: runbooks.emergency,
        target,
        request: {
          requester: DRILL_PERSON,
          reason: `game-day drill ${drill.name}`,
          source: 'drill',
          changes: [change],
        },
      },
    ],
  });
  if (run.commitSha) {
    const sha = run.commitSha;
    ctx.cleanups.unshift({
      name: 'revert the drill change in Git',
      run: async () => {
        const r = await drillActs.revertPromotion({
          target,
          sha,
          requester: DRILL_PERSON,
          reason: `cleanup of game-day drill ${drill.name}`,
          runId: `${ctx.key}/cleanup`,
        });
        await drillActs.requestRefresh({ target, token: `${ctx.key}/cleanup`, revision: r.revertSha });
        await drillWaits.waitForSynced({ target, revision: r.revertSha, timeoutMs: 300_000 });
        return `reverted ${sha.slice(0, 7)} with ${r.revertSha.slice(0, 7)}`;
      },
    });
  }
  check(ctx, 'emergency runbook completed', run.phase === 'restored', run.result ?? run.phase);
  const state = await drillActs.engineState(target);
  check(
    ctx,
    'auto-sync restored',
    !!state.autoSync,
    state.autoSync ? JSON.stringify(state.autoSync) : 'auto-sync is still off',
  );
  const inGit = await drillActs.gitMatchesLive({ target, changes: [change] });
  check(
    ctx,
    'Git holds the live change',
    inGit.matches,
    inGit.matches ? `at ${inGit.revision.slice(0, 7)}` : inGit.remaining.map((r) => r.path).join(', '),
  );
  ctx.card.timeToRestoreMs = since(started, run.restoredAt);
}
