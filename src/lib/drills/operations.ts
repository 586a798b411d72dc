/**
 * What `rewind drills` and `/gameday` share on top of src/lib/drills: who may act on a drill, where a
 * drill runs (its lock id), abort, `--since`, and how a scorecard reads. Both entry points go
 * through here, so they authorize and refuse alike.
 *
 * Who may act: anyone under people: in rewind.yaml for a drill without an app (the access
 * audit); for a drill of an app, its owners and approvers: a drill injects real faults there.
 */
import { own } from '../config/own-keys.js';
import type { DrillConfig, RewindConfig } from '../config/schema.js';
import { drillConfig } from './input.js';
import { RefusedError, type Rewind } from '../runs.js';
import { abortSignal, scorecardQuery } from '../../../workflows/drills/messages.js';
import type { DrillOutcome, Scorecard } from '../../../workflows/drills/types.js';
import type { PersonRef } from '../../../workflows/types.js';

/**
 * By name, as src/lib/runs.ts does: a closed run answers a signal with NOT_FOUND ("workflow
 * execution already completed").
 */
const notFound = (err: unknown): boolean => (err as Error | undefined)?.name === 'WorkflowNotFoundError';

/**
 * The drill's own workflow id: the app/env lock, or one of its own for a drill without a target
 * (workflows/drills/launcher.ts).
 */
export function drillRunId(drill: DrillConfig): string {
  return drill.app && drill.env ? `rewind/${drill.app}/${drill.env}` : `rewind/drill-audit/${drill.name}`;
}

export const drillTargetText = (drill: Pick<DrillConfig, 'app' | 'env'>): string =>
  drill.app ? `${drill.app}/${drill.env}` : 'cluster';

/**
 * @throws RefusedError: unknown drill (unknown-target), or a person who may not `action` it (not-authorized).
 */
export function authorizeDrill(cfg: RewindConfig, name: string, who: PersonRef, action: string): DrillConfig {
  const drill = drillConfig(cfg, name);
  if (!drill.app) return drill;
  const app = own(cfg.apps, drill.app);
  const allowed = [...(app?.owners ?? []), ...(app?.approvers ?? [])];
  if (!allowed.includes(who.handle)) {
    throw new RefusedError(
      `${who.handle} is neither an owner nor an approver of ${drill.app} and cannot ${action} its ` +
        `drill "${drill.name}" (it injects faults into ${drill.app}/${drill.env}); ` +
        `owners and approvers: ${[...new Set(allowed)].join(', ') || '(none)'}`,
      'not-authorized',
    );
  }
  return drill;
}

/**
 * Signals the running drill `name` to abort (its cleanup still runs). Refused when nothing runs
 * under the drill's lock id, when a runbook run or another drill holds it, or when it has its
 * outcome already (it is only posting its scorecard) or ended meanwhile. Pinned to the run that was
 * looked at: the lock id is reused by every later run.
 */
export async function abortDrill(
  rw: Rewind,
  name: string,
  by: PersonRef,
): Promise<{ workflowId: string; runId: string; card: Scorecard }> {
  const drill = drillConfig(rw.cfg, name);
  const workflowId = drillRunId(drill);
  const notRunning = (more = '') =>
    new RefusedError(`drill "${name}" is not running${more}; nothing to abort`, 'not-found');
  let desc;
  try {
    desc = await rw.client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (notFound(err)) throw notRunning();
    throw err;
  }
  if (desc.status.name !== 'RUNNING') throw notRunning();
  if (desc.type !== 'drillWorkflow') {
    throw new RefusedError(
      `drill "${name}" is not running: ${drillTargetText(drill)} is held by ` +
        `a ${desc.type === 'runbookWorkflow' ? 'runbook run' : desc.type} (${workflowId}), which is not a ` +
        `drill. Stop a run with \`rewind cancel ${drill.app ?? ''}${drill.env ? ` --env ${drill.env}` : ''}\`.`,
      'busy',
    );
  }
  const handle = rw.client.workflow.getHandle(workflowId, desc.runId);
  const card = await handle.query(scorecardQuery);
  if (card.drill !== name)
    throw notRunning(`: ${drillTargetText(drill)} runs drill "${card.drill}" (abort that one by its name)`);
  // Done and cleaned up, only publishing its scorecard: the workflow would take the signal and ignore it.
  if (card.outcome) throw notRunning(` any more (it ended ${card.outcome})`);
  if (card.stage === 'cleaning-up')
    throw new RefusedError(
      `drill "${name}" is already cleaning up; aborting would change nothing (its cleanup always completes)`,
      'busy',
    );
  try {
    await handle.signal(abortSignal, { by: by.handle });
  } catch (err) {
    if (notFound(err)) throw notRunning(' any more');
    throw err;
  }
  return { workflowId, runId: desc.runId, card };
}

/** Exit codes of `rewind drills run`: 0 passed, 2 failed or aborted, 3 skipped (1 is a refusal). */
export const DRILL_EXIT: Record<DrillOutcome, number> = { passed: 0, failed: 2, aborted: 2, skipped: 3 };

export const secs = (ms?: number): string => (ms === undefined ? 'n/a' : `${Math.round(ms / 1000)}s`);

/** A scorecard as terminal text: outcome, each check ✓/✗ with its detail, times against targets, cleanup. */
export function scorecardLines(card: Scorecard): string[] {
  const outcome = card.outcome ?? 'failed';
  return [
    `Game day ${card.drill} (${card.kind}${card.app ? ` on ${card.app}/${card.env}` : ''}): ${outcome.toUpperCase()}`,
    ...(card.reason ? [`  ${card.reason}`] : []),
    ...card.checks.map((c) => `  ${c.passed ? '✓' : '✗'} ${c.name}: ${c.detail}`),
    `Time to detect: ${secs(card.timeToDetectMs)} (target ${secs(card.targets.timeToDetectMs)})`,
    `Time to restore: ${secs(card.timeToRestoreMs)} (target ${secs(card.targets.timeToRestoreMs)})`,
    `Cleanup: ${card.cleanup.verified ? 'verified' : 'NOT verified'}` +
      `${card.cleanup.detail ? `: ${card.cleanup.detail}` : ''}`,
    ...(card.runs.length ? [`Runbook runs: ${card.runs.join(', ')}`] : []),
  ];
}
