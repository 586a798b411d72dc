import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podName } from '../../../../src/sandbox/workloads/names.js';
import type { JobStatus } from '../../../../src/sandbox/workloads/types.js';
import { at, FakeJob, fixture } from './harness.js';

const running = { startTime: at(0), ready: 0, terminating: 0, uncountedTerminatedPods: {} };
/** The status, read afresh (assert.deepEqual narrows what it was compared with). */
const statusOf = (j: FakeJob): JobStatus => j.job.status ?? {};

describe('Jobs (job controller + kubelets)', () => {
  it('a healthy Job: one pod, ready once started, Complete after podStartMs + run-ms, as 1.34 writes it', () => {
    const j = new FakeJob(fixture('migrate-job'));
    j.run(0);
    assert.deepEqual(j.job.status, { ...running, active: 1 });
    j.run(1);
    assert.deepEqual(j.job.status, { ...running, ready: 1, active: 1 });
    j.run(1.75);
    assert.equal(statusOf(j).succeeded, undefined);
    j.run(0.25);
    const done = {
      type: 'Complete',
      status: 'True',
      lastProbeTime: at(3),
      lastTransitionTime: at(3),
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    };
    assert.deepEqual(j.job.status, {
      ...running,
      succeeded: 1,
      completionTime: at(3),
      conditions: [{ ...done, type: 'SuccessCriteriaMet' }, done],
    });
    assert.deepEqual(j.eventLines(), [
      `SuccessfulCreate: Created pod: ${podName('migrate', 1)}`,
      'Completed: Job completed',
    ]);
    j.run(10);
    assert.equal(j.events.length, 2, 'a finished Job is left alone');
  });

  it(
    'a failing Job: pods fail, replacements after back-off, Failed ' +
      'BackoffLimitExceeded once failures exceed backoffLimit (2)',
    () => {
      const j = new FakeJob(fixture('migrate-job'));
      j.faults = [
        {
          name: 'schema',
          job: 'migrate',
          env: { name: 'DB_HOST', mustEqual: 'db-prod-2.internal' },
          message: 'relation "users" does not exist',
        },
      ];
      j.run(1);
      assert.deepEqual(j.job.status, { ...running, failed: 1 });
      j.run(1);
      assert.deepEqual(j.job.status, { ...running, active: 1, failed: 1 }, 'replacement after 1 s (10 s × 0.1)');
      j.run(4);
      const failed = {
        type: 'Failed',
        status: 'True',
        lastProbeTime: at(6),
        lastTransitionTime: at(6),
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      };
      assert.deepEqual(j.job.status, {
        ...running,
        failed: 3,
        conditions: [{ ...failed, type: 'FailureTarget' }, failed],
      });
      assert.deepEqual(
        j.eventLines(),
        [1, 2, 3]
          .flatMap((n) => [
            `SuccessfulCreate: Created pod: ${podName('migrate', n)}`,
            `Failed: Error: container migrate in pod ${podName('migrate', n)} exited: relation "users" does not exist`,
          ])
          .concat('BackoffLimitExceeded: Job has reached the specified backoff limit'),
      );
      assert.deepEqual(
        j.events.filter((e) => e.reason === 'Failed').map((e) => e.source),
        ['kubelet', 'kubelet', 'kubelet'],
      );
    },
  );

  it('activeDeadlineSeconds fails a Job that runs too long', () => {
    const j = new FakeJob(fixture('migrate-job'));
    j.job.spec!.activeDeadlineSeconds = 2;
    j.job.metadata.annotations = { 'sandbox.rewind.dev/run-ms': '60000' };
    j.run(2);
    assert.deepEqual(
      statusOf(j).conditions?.map((c) => `${c.type}/${c.reason}`),
      ['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded'],
    );
    assert.equal(statusOf(j).active, undefined);
  });
});
