/**
 * Follows one run until it ends: polls the status query (~500 ms), reports the plan once,
 * every step whose state or summary changed, and the approval wait; returns the final status.
 * Pinned to the run id that was started, because the workflow id is reused by later runs.
 */
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { statusQuery } from '../../workflows/messages.js';
import type { RunStatus, TargetSnapshot } from '../../workflows/types.js';
import { TERMINAL_PHASES } from './io.js';
import { awaitingLines, planLines, stepLine } from './render.js';

export interface WatchOptions { pollMs?: number; signal?: AbortSignal }

export async function watchRun(client: Client, workflowId: string, runId: string, target: TargetSnapshot, print: (line: string) => void, opts: WatchOptions = {}): Promise<RunStatus> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const result = handle.result() as Promise<RunStatus>;
  let finished = false;
  result.then(() => { finished = true; }, () => { finished = true; });
  const seen = new Map<string, string>();
  let planShown = false;
  let awaitingShown = false;
  let status: RunStatus | undefined;

  while (!finished) {
    opts.signal?.throwIfAborted();
    status = await handle.query(statusQuery).catch(() => status);
    if (status) {
      if (status.plan && !planShown) { planLines(status.plan).forEach(print); planShown = true; }
      for (const s of status.steps) {
        const key = `${s.state}|${s.summary ?? ''}`;
        if (s.state !== 'pending' && seen.get(s.name) !== key) { seen.set(s.name, key); print(stepLine(s)); }
      }
      if (status.phase === 'awaiting-approval' && !awaitingShown) { awaitingLines(status, target).forEach(print); awaitingShown = true; }
      if (TERMINAL_PHASES.includes(status.phase)) break;
    }
    await Promise.race([sleep(opts.pollMs ?? 500, undefined, { signal: opts.signal }), result.catch(() => undefined)]);
  }
  const final = await result;
  // Steps that changed between the last poll and the end.
  for (const s of final.steps) {
    const key = `${s.state}|${s.summary ?? ''}`;
    if (s.state !== 'pending' && seen.get(s.name) !== key) { seen.set(s.name, key); print(stepLine(s)); }
  }
  return final;
}
