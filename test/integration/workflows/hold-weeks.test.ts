/**
 * A held pause that lasts a month, on the time-skipping server with the activities faked: the run
 * reminds every 15 minutes for 30 simulated days, continues as new instead of growing one history
 * without bound, keeps its lease and its run key across the chain, and ends only when a person
 * resolves it (then auto-sync resumes, once).
 */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadRunbook } from '../../../src/lib/runbooks/load.js';
import { startTemporalTimeSkipping } from '../../../src/sandbox/world/temporal.js';
import { workflowSource } from '../../../src/app/worker.js';
import { resolveUpdate, statusQuery, timelineQuery } from '../../../workflows/messages.js';
import type { RunInput, RunStatus } from '../../../workflows/types.js';
import { fakeActivities, refusedPush, targetOf } from './fake-activities.js';

let env: TestWorkflowEnvironment;

describe('a hold that lasts weeks', () => {
  before(async () => {
    env = await startTemporalTimeSkipping();
  });
  after(async () => {
    await env?.teardown();
  });

  it('reminds every 15 min for 30 days across continue-as-new, keeps its lease, and ends only through resolve', {
    timeout: 900_000,
  }, async () => {
    const { activities, calls } = fakeActivities({ commitLiveChange: refusedPush });
    const taskQueue = 'hold-weeks';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      ...workflowSource(),
      activities,
    });
    const input: RunInput = {
      runbook: await loadRunbook('emergency-change'),
      target: targetOf({
        approval: { required: false, minApprovers: 1, allowSelfApproval: false, timeoutMs: 60_000, allowCliYes: false },
      }),
      request: {
        requester: { handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test' },
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
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('runbookWorkflow', {
        taskQueue,
        workflowId: 'rewind/users-api/prod',
        args: [input],
      });
      const firstRunId = handle.firstExecutionRunId;
      for (let day = 0; day < 30; day++) await env.sleep('1 day');
      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'held-paused', status.result);
      const reminders = calls.filter((c) => c.name === 'postReminder');
      assert.ok(reminders.length >= 30 * 96 - 2, `one reminder per 15 minutes for 30 days: ${reminders.length}`);
      // Slim: the reminder carries the thread to post in, never the run status.
      assert.ok(reminders.every((c) => !('status' in (c.input as object))));
      const renewals = calls.filter((c) => c.name === 'renewPauseLease');
      assert.equal(renewals.length, reminders.length);
      assert.ok(
        renewals.every(
          (c) => (c.input as { lease: { runId: string } }).lease.runId === `rewind/users-api/prod/${firstRunId}`,
        ),
        'the lease keeps naming the first run of the chain',
      );
      assert.equal(
        calls.filter((c) => c.name === 'resumeAutoSync').length,
        0,
        'auto-sync stayed paused the whole month',
      );

      const latest = env.client.workflow.getHandle('rewind/users-api/prod');
      const described = await latest.describe();
      assert.notEqual(described.runId, firstRunId, 'the hold continued as new');
      assert.ok(
        described.historyLength < 10_000,
        `each run of the chain stays small: ${described.historyLength} events`,
      );
      const timeline = await latest.query(timelineQuery);
      assert.equal(
        timeline.filter((e) => /^reminded the channel \d+ time\(s\)/.test(e.summary)).length,
        1,
        'one coalesced reminder entry',
      );
      assert.ok(
        timeline.some((e) => /stays PAUSED: Failed at commit: .*refused the push/.test(e.summary)),
        'the reason survives continue-as-new',
      );

      await latest.executeUpdate(resolveUpdate, {
        args: [{ by: { handle: 'bob', name: 'Bob Lead', email: 'bob@acme.test' } }],
      });
      const result = (await latest.result()) as RunStatus;
      assert.equal(result.phase, 'resolved', result.result);
      assert.equal(calls.filter((c) => c.name === 'resumeAutoSync').length, 1);
      const fetched = calls.findIndex((c) => c.name === 'awaitEngineRevision'),
        resumed = calls.findIndex((c) => c.name === 'resumeAutoSync');
      assert.ok(fetched >= 0 && fetched < resumed, 'the engine fetched the commit before auto-sync came back');
    });
  });
});
