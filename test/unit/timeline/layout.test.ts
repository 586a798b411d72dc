import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { staggerLabels, ticks, timeScale } from '../../../src/lib/timeline/svg-layout.js';
import { duration } from '../../../src/lib/timeline/format.js';

describe('SVG layout', () => {
  it('ticks fall on round UTC times inside the axis, labelled at their precision', () => {
    const t0 = Date.UTC(2026, 2, 1, 14, 0, 7);
    const s = timeScale(t0, t0 + 20 * 60_000, 100, 1100);
    const ts = ticks(s);
    assert.ok(ts.length >= 4 && ts.length <= 10, `${ts.length} ticks`);
    for (const t of ts) {
      assert.ok(t.x >= 100 && t.x <= 1100);
      assert.equal(t.t % 60_000, 0, 'whole minutes');
      assert.match(t.label, /^\d\d:\d\d$/);
    }
    const short = ticks(timeScale(t0, t0 + 8000, 100, 1100));
    assert.ok(short.every((t) => /^\d\d:\d\d:\d\d$/.test(t.label)));
  });

  it('labels are staggered into lanes so none overlap; the right edge flips the anchor; crowds are capped', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ x: 100 + i * 5, width: 80 }));
    const { placed, lanes, dropped } = staggerLabels(items, 400, 6);
    assert.equal(lanes, 6);
    assert.equal(placed.length + dropped, 50);
    const span = (b: (typeof placed)[number]) =>
      (b.anchor === 'start' ? [b.x, b.x + b.width + 4] : [b.x - b.width - 4, b.x]) as [number, number];
    for (const a of placed)
      for (const b of placed) {
        if (a === b || a.lane !== b.lane) continue;
        const [a0, a1] = span(a),
          [b0, b1] = span(b);
        assert.ok(a1 <= b0 || b1 <= a0, 'no overlap in a lane');
      }
    assert.equal(
      staggerLabels([{ x: 390, width: 80 }], 400, 6).placed[0]!.anchor,
      'end',
      'a label near the right edge ends at its mark',
    );
  });

  it('durations read the way people write them', () => {
    assert.deepEqual([0, 350, 4200, 42_000, 187_000, 3_720_000].map(duration), [
      '0s',
      '350ms',
      '4.2s',
      '42s',
      '3m 07s',
      '1h 02m',
    ]);
  });
});
