/**
 * A Temporal client stand-in for entry-point tests: reads answer "nothing there" (no runs, no
 * schedules, no workflow), and every call that would change something (start a workflow, signal,
 * update, create/update/delete/pause a schedule, terminate, cancel) is recorded in `effects`.
 * A refused input must leave `effects` empty; an accepted one may start a (fake) run.
 */
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Rewind } from '../../../src/lib/runs.js';
import type { RewindConfig } from '../../../src/lib/config/schema.js';

export interface FakeTemporal {
  client: Client;
  effects: string[];
  reads: string[];
}

const empty = async function* () {
  /* nothing listed */
};

export function fakeTemporal(): FakeTemporal {
  const effects: string[] = [];
  const reads: string[] = [];
  const notFound = (id: string) => new WorkflowNotFoundError(`workflow not found for ID: ${id}`, id, undefined);
  const handle = (workflowId: string) => ({
    workflowId,
    query: async () => {
      reads.push(`query ${workflowId}`);
      throw notFound(workflowId);
    },
    describe: async () => {
      reads.push(`describe ${workflowId}`);
      throw notFound(workflowId);
    },
    // No worker runs anything here: a started run "ends" at once, so a CLI following it returns.
    result: async () => {
      reads.push(`result ${workflowId}`);
      throw new WorkflowNotFoundError('fake Temporal: no worker runs this workflow', workflowId, undefined);
    },
    signal: async () => {
      effects.push(`signal ${workflowId}`);
      throw notFound(workflowId);
    },
    executeUpdate: async () => {
      effects.push(`update ${workflowId}`);
      throw notFound(workflowId);
    },
    terminate: async () => {
      effects.push(`terminate ${workflowId}`);
    },
    cancel: async () => {
      effects.push(`cancel ${workflowId}`);
    },
  });
  const schedule = (scheduleId: string) => ({
    scheduleId,
    describe: async () => {
      reads.push(`describe schedule ${scheduleId}`);
      throw new ScheduleNotFoundError('schedule not found', scheduleId);
    },
    pause: async () => {
      effects.push(`pause schedule ${scheduleId}`);
    },
    unpause: async () => {
      effects.push(`unpause schedule ${scheduleId}`);
    },
    update: async () => {
      effects.push(`update schedule ${scheduleId}`);
    },
    delete: async () => {
      effects.push(`delete schedule ${scheduleId}`);
    },
    trigger: async () => {
      effects.push(`trigger schedule ${scheduleId}`);
    },
  });
  const client = {
    workflow: {
      start: async (type: string, opts: { workflowId: string }) => {
        effects.push(`start ${type} ${opts.workflowId}`);
        return { ...handle(opts.workflowId), firstExecutionRunId: 'fake-run-1' };
      },
      signalWithStart: async (type: string, opts: { workflowId: string }) => {
        effects.push(`signalWithStart ${type} ${opts.workflowId}`);
        return handle(opts.workflowId);
      },
      list: () => {
        reads.push('list workflows');
        return empty();
      },
      getHandle: (workflowId: string) => handle(workflowId),
    },
    schedule: {
      create: async (opts: { scheduleId: string }) => {
        effects.push(`create schedule ${opts.scheduleId}`);
        return schedule(opts.scheduleId);
      },
      list: () => {
        reads.push('list schedules');
        return empty();
      },
      getHandle: (scheduleId: string) => schedule(scheduleId),
    },
    withAbortSignal: <R>(_signal: AbortSignal, fn: () => Promise<R>) => fn(),
    connection: { close: async () => undefined },
  };
  return { client: client as unknown as Client, effects, reads };
}

export function fakeRewind(cfg: RewindConfig): Rewind & { temporal: FakeTemporal } {
  const temporal = fakeTemporal();
  return { cfg, client: temporal.client, taskQueue: 'unit', temporal };
}
