import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import { startPauseGauge } from '../../../src/lib/metrics/pause-gauge.js';
import type { PauseRow } from '../../../src/lib/pauses.js';

describe('pause gauge', () => {
  it('reads the pauses at start and on every tick, and survives a failed reading', async () => {
    const readings: PauseRow[][] = [];
    let calls = 0;
    const gauge = startPauseGauge({
      cfg: {} as RewindConfig,
      clusters: new Map(),
      intervalMs: 20,
      metrics: {
        setPauses: (rows) => {
          readings.push(rows);
        },
      },
      list: async () => {
        calls++;
        if (calls === 2) throw new Error('API server unreachable');
        return [{ app: 'users-api', env: 'prod', engine: 'argocd argocd/users-api-prod', flag: 'no-lease' }];
      },
    });
    await new Promise((r) => setTimeout(r, 150));
    await gauge.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(calls >= 3, `kept reading after a failure (${calls} readings)`);
    assert.equal(calls, after, 'stop() ends the timer');
    assert.equal(readings.length, calls - 1, 'a failed reading leaves the last values in place');
  });
});
