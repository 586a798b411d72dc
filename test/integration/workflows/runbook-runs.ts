/**
 * Runs of the real runbook interpreter on the time-skipping server with faked activities, shared
 * by the interpreter tests and the golden-history recorder (test/fixtures/histories/record.ts):
 * the people of the fake target, run inputs per runbook, the workflow bundle, a worker, fakes that
 * hold a step open, and polling on what the run says.
 */
import { heartbeat, cancelled } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { loadRunbook } from '../../../src/lib/runbooks/load.js';
import { statusQuery } from '../../../workflows/messages.js';
import type { PersonRef, RunInput, RunStatus, TargetSnapshot } from '../../../workflows/types.js';
import { fakeActivities, targetOf } from './fake-activities.js';

type Fn = (...args: any[]) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** alice owns users-api and asks; bob and carol approve (targetOf). */
export const alice: PersonRef = { handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test' };
export const bob: PersonRef = { handle: 'bob', name: 'Bob Lead', email: 'bob@acme.test' };
export const carol: PersonRef = { handle: 'carol', name: 'Carol Sre', email: 'carol@acme.test' };

export type RunbookName = 'rollback' | 'emergency-change';
export type Approval = TargetSnapshot['approval'];

/** prod's policy in targetOf: one approver, 15 min, no self-approval. */
export const PROD_APPROVAL: Approval = {
  required: true,
  minApprovers: 1,
  allowSelfApproval: false,
  timeoutMs: 15 * 60_000,
  allowCliYes: false,
};
export const NO_APPROVAL: Approval = { ...PROD_APPROVAL, required: false };

/** A run of `runbook` against users-api/prod, asked by alice, with the given approval policy. */
export async function runInput(runbook: RunbookName, approval: Approval = PROD_APPROVAL): Promise<RunInput> {
  const target = targetOf({ approval });
  if (runbook === 'rollback') {
    return {
      runbook: await loadRunbook('rollback'),
      target,
      request: { requester: alice, reason: 'p99 latency regression after 1.43.0', source: 'slack' },
    };
  }
  return {
    runbook: await loadRunbook('emergency-change'),
    target,
    request: {
      requester: alice,
      reason: 'primary failover',
      source: 'cli',
      changes: [
        {
          object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'users-api-prod', name: 'users-api-env' },
          patchType: 'merge',
          patch: { data: { DB_HOST: 'db-prod-2.internal' } },
        },
      ],
    },
  };
}

/** The interpreter as it is in workflows/ now (never a prebuilt bundle: tests judge the source). */
export async function workflowBundle(): Promise<WorkflowBundle> {
  const workflowsPath = fileURLToPath(new URL('../../../workflows/index.ts', import.meta.url));
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  return { code };
}

let runs = 0;
/** A workflow id and task queue no other test in this process uses. */
export function freshIds(label: string): { workflowId: string; taskQueue: string } {
  const slug = `${label.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}-${process.pid}-${++runs}`;
  return { workflowId: `rewind/users-api/prod/${slug}`, taskQueue: `interp-${slug}` };
}

/**
 * A worker for one run. Heartbeats are sent every 50 ms, not throttled to 80% of the heartbeat
 * timeout: an activity learns of its cancellation only from a heartbeat's answer.
 */
export function runWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  bundle: WorkflowBundle,
  activities: Record<string, Fn>,
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    maxHeartbeatThrottleInterval: 50,
    defaultHeartbeatThrottleInterval: 50,
  });
}

/** The healthy-world fake of `name`, as fakeActivities has it (for fakes that differ on one call only). */
export const defaultFake = (name: string): Fn => fakeActivities().activities[name]!;

/**
 * An activity that is in flight until the workflow cancels it: it heartbeats and fails with the
 * cancellation once the answer to a heartbeat carries it. Only its `nth` call (1-based) blocks;
 * the others answer like a healthy world. `entered` resolves when the blocking call starts.
 */
export function blockUntilCancelled(name: string, nth = 1): { fn: Fn; entered: Promise<void> } {
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => {
    enter = resolve;
  });
  const fallback = defaultFake(name);
  let n = 0;
  const fn: Fn = async (input: unknown) => {
    if (++n !== nth) return fallback(input);
    enter();
    const beat = setInterval(() => heartbeat(`${name} held open by the test`), 20);
    try {
      return await cancelled();
    } finally {
      clearInterval(beat);
    }
  };
  return { fn, entered };
}

/**
 * The pause guard as the real one behaves while the pause holds: it watches until rewind cancels it
 * (re-armed after the patch, stopped before the resume). A guard that answered at once would race
 * with that cancel, and the time-skipping server refuses a cancel of an activity that completed in
 * the same workflow task ("ACTIVITY_UNKNOWN for scheduledEventId", temporalio/sdk-typescript#1058;
 * the real server accepts it): the run would stall. While it watches, no time is skipped.
 */
export const guardWatchesUntilCancelled: Fn = async () => {
  const beat = setInterval(() => heartbeat('guard watching'), 20);
  try {
    return await cancelled();
  } finally {
    clearInterval(beat);
  }
};

/** Polls the run's status (real time: the test server skips no time meanwhile) until `ok`. */
export async function statusUntil(
  handle: WorkflowHandle,
  ok: (s: RunStatus) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: RunStatus | undefined;
  for (;;) {
    last = await handle.query(statusQuery);
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `run never reached ${what}: phase ${last.phase}, ${last.result ?? 'no result'}; ` +
          `steps ${last.steps.map((s) => `${s.name}=${s.state}`).join(' ')}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** "refresh=done wait-for-sync=skipped …": what the step list shows a person, in one string. */
export const stepStates = (s: RunStatus): string => s.steps.map((x) => `${x.name}=${x.state}`).join(' ');
