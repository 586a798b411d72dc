/**
 * Follows one run until it ends: polls the status query (~500 ms), reports the plan once,
 * every step whose state or summary changed, and the approval wait; returns the final status.
 * Stops early, with the run still going, when it needs a person (an emergency run holding its
 * pause). Pinned to the run id that was started, because the workflow id is reused by later runs.
 */
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { statusQuery } from '../../../workflows/messages.js';
import { TERMINAL_PHASES, type RunStatus, type TargetSnapshot } from '../../../workflows/types.js';
import { NEEDS_A_PERSON_PHASES } from './io.js';
import { awaitingLines, emergencyPlanLines, planLines, stepLine } from './render.js';

export interface WatchOptions {
  pollMs?: number;
  signal?: AbortSignal;
}

export async function watchRun(
  client: Client,
  workflowId: string,
  runId: string,
  target: TargetSnapshot,
  print: (line: string) => void,
  opts: WatchOptions = {},
): Promise<RunStatus> {
  const handle = client.workflow.getHandle(workflowId, runId);
  // result() long-polls the server; when we stop watching early (held pause, Ctrl-C) the poll is
  // aborted, or it would keep the process alive until the server's long-poll timeout.
  const stopResult = new AbortController();
  const result = client.withAbortSignal(stopResult.signal, () => handle.result() as Promise<RunStatus>);
  let finished = false;
  result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  const seen = new Map<string, string>();
  const printSteps = (s: RunStatus) => {
    for (const step of s.steps) {
      const key = `${step.state}|${step.summary ?? ''}`;
      if (step.state !== 'pending' && seen.get(step.name) !== key) {
        seen.set(step.name, key);
        print(stepLine(step));
      }
    }
  };
  let planShown = false;
  let awaitingShown = false;
  let status: RunStatus | undefined;

  try {
    while (!finished) {
      opts.signal?.throwIfAborted();
      status = await handle.query(statusQuery).catch(() => status);
      if (status) {
        const plan = status.plan
          ? planLines(status.plan)
          : status.emergency
            ? emergencyPlanLines(status.emergency)
            : undefined;
        if (plan && !planShown) {
          plan.forEach(print);
          planShown = true;
        }
        printSteps(status);
        if (status.phase === 'awaiting-approval' && !awaitingShown) {
          awaitingLines(status, target).forEach(print);
          awaitingShown = true;
        }
        if (NEEDS_A_PERSON_PHASES.includes(status.phase)) return status;
        if (TERMINAL_PHASES.includes(status.phase)) break;
      }
      await Promise.race([
        sleep(opts.pollMs ?? 500, undefined, { signal: opts.signal }),
        result.catch(() => undefined),
      ]);
    }
    const final = await result;
    // Steps that changed between the last poll and the end.
    printSteps(final);
    return final;
  } finally {
    stopResult.abort();
  }
}
