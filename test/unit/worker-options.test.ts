import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activitySlots, DEFAULT_ACTIVITY_SLOTS } from '../../src/app/worker.js';

describe('worker activity slots', () => {
  it('defaults to 400, more than the SDK default of 100, and honours REWIND_ACTIVITY_SLOTS', () => {
    assert.equal(DEFAULT_ACTIVITY_SLOTS, 400);
    assert.equal(activitySlots({}), 400);
    assert.equal(activitySlots({ REWIND_ACTIVITY_SLOTS: '' }), 400);
    assert.equal(activitySlots({ REWIND_ACTIVITY_SLOTS: '150' }), 150);
  });

  it('refuses a value that is not a whole number from 1 to 10000, naming the variable and the value', () => {
    for (const bad of ['0', '-5', '2.5', 'many', '10001'])
      assert.throws(
        () => activitySlots({ REWIND_ACTIVITY_SLOTS: bad }),
        new RegExp(`REWIND_ACTIVITY_SLOTS must be a whole number from 1 to 10000; got "${bad.replace('.', '\\.')}"`),
      );
  });
});
