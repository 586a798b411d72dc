/**
 * What a Temporal Schedule starts: it takes the app/env lock by starting the drill as a child
 * with the lock's workflow id. If a real run (or another drill) holds it, the drill is skipped
 * and says so: a drill never runs at the same time as an incident on the same target.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { startChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import { drillActs } from './activities.js';
import { drillWorkflow } from './drill.js';
import type { DrillInput, Scorecard } from './types.js';

export const drillLockId = (input: DrillInput): string =>
  input.target ? `rewind/${input.target.app}/${input.target.env}` : `rewind/drill-audit/${input.drill.name}`;

export async function drillLauncherWorkflow(input: DrillInput): Promise<Scorecard> {
  const workflowId = drillLockId(input);
  try {
    const child = await startChild(drillWorkflow, {
      workflowId,
      args: [input],
      // An aborted or failed launcher must not kill a drill midway: its cleanup has to run.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return await child.result();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const card: Scorecard = {
      schema: 'rewind.scorecard/v1',
      drill: input.drill.name,
      kind: input.drill.kind,
      workflowId: workflowInfo().workflowId,
      trigger: input.trigger,
      ...(input.target ? { app: input.target.app, env: input.target.env } : {}),
      startedAt: new Date().toISOString(),
      endedAt: new Date().toISOString(),
      outcome: 'skipped',
      reason: `skipped: incident in progress (${workflowId} is held by another run)`,
      checks: [],
      targets: input.drill.targets,
      cleanup: { done: true, verified: true, detail: 'nothing was touched' },
      runs: [],
    };
    await drillActs
      .publishScorecard({ card, channel: input.drill.channel ?? input.target?.channel })
      .catch(() => undefined);
    return card;
  }
}
