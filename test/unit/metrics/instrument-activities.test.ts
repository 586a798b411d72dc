import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { instrumentActivities } from '../../../src/lib/metrics/instrument-activities.js';

describe('instrumentActivities', () => {
  it('times each call by activity and outcome, and passes values and errors through', async () => {
    const seen: Array<[string, string, number]> = [];
    let clock = 0;
    const acts = instrumentActivities(
      {
        async ok(n: number) {
          clock += 1500;
          return n * 2;
        },
        async broken() {
          clock += 250;
          throw new Error('boom');
        },
        async cancelled() {
          throw new CancelledFailure('heartbeat cancelled');
        },
      },
      { activityFinished: (a, o, s) => seen.push([a, o, s]) },
      () => clock,
    );
    assert.equal(await acts.ok(21), 42);
    await assert.rejects(acts.broken(), /boom/);
    await assert.rejects(acts.cancelled(), CancelledFailure);
    assert.deepEqual(seen, [
      ['ok', 'completed', 1.5],
      ['broken', 'failed', 0.25],
      ['cancelled', 'cancelled', 0],
    ]);
  });

  it('without a sink the activities are returned untouched', () => {
    const acts = {
      async a() {
        return 1;
      },
    };
    assert.equal(instrumentActivities(acts, undefined), acts);
  });
});
