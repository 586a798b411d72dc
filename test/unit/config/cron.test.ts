import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronFailure, nextFireTimes, parseCron, type CronSpec } from '../../../src/lib/config/cron.js';

const spec = (expr: string): CronSpec => {
  const p = parseCron(expr);
  if (!p.ok) assert.fail(`${expr}: ${p.message}`);
  return p.spec;
};
const next = (expr: string, tz: string, from: string, count = 3) =>
  nextFireTimes(spec(expr), tz, new Date(from), count).map((d) => d.toISOString());

describe('cron expressions of drill schedules', () => {
  it('reads numbers, names, ranges, lists, steps and shorthands', () => {
    assert.deepEqual(spec('0 10 * * 2').dayOfWeek, [2]);
    assert.deepEqual(spec('*/15 9-17 * * MON-FRI').minute, [0, 15, 30, 45]);
    assert.deepEqual(spec('*/15 9-17 * * MON-FRI').dayOfWeek, [1, 2, 3, 4, 5]);
    assert.deepEqual(spec('0 0 1,15 jan,jul *').month, [1, 7]);
    assert.deepEqual(spec('5/20 * * * *').minute, [5, 25, 45]);
    assert.deepEqual(spec('0 0 * * 7').dayOfWeek, [0], '7 is Sunday');
    assert.deepEqual(spec('@weekly'), spec('0 0 * * 0'));
    assert.deepEqual(spec('@daily'), spec('0 0 * * *'));
  });

  it('refuses what is not a five-field expression, naming the field and the range', () => {
    const refused = (expr: string, re: RegExp) =>
      assert.match(cronFailure(expr) ?? assert.fail(`${expr} accepted`), re, expr);
    refused('0 10 * *', /five fields.*has 4/);
    refused('0 0 10 * * 2', /five fields.*has 6/);
    refused('60 * * * *', /minute 60 is out of range 0-59/);
    refused('0 24 * * *', /hour 24 is out of range 0-23/);
    refused('0 0 0 * *', /day of month 0 is out of range 1-31/);
    refused('0 0 32 * *', /day of month 32/);
    refused('0 0 * 13 *', /month 13 is out of range 1-12/);
    refused('0 0 * * 8', /day of week 8 is out of range 0-7/);
    refused('0 0 * * FUN', /"FUN" is not a day of week/);
    refused('0 0 * * MON-', /is not a day of week|not a number/);
    refused('30-10 * * * *', /range 30-10 runs backwards/);
    refused('*/0 * * * *', /step \/0 of the minute must be 1-59/);
    refused('0 0 ? * *', /"\?" is not a day of month/);
    refused('@every 5m', /not a shorthand rewind takes/);
    refused('CRON_TZ=UTC 0 10 * * 2', /time zone under schedule\.timezone/);
    refused('0 0 31 2 *', /never fires/);
    refused('0 0 30 2 *', /never fires/);
    refused('', /five fields/);
  });

  it("computes the next fire times in the schedule's time zone, day of month AND day of week like Temporal", () => {
    // Tuesdays 10:00 in Berlin: 08:00Z in summer time, 09:00Z in winter time.
    assert.deepEqual(next('0 10 * * 2', 'Europe/Berlin', '2026-03-20T12:00:00Z'), [
      '2026-03-24T09:00:00.000Z',
      '2026-03-31T08:00:00.000Z',
      '2026-04-07T08:00:00.000Z',
    ]);
    assert.deepEqual(
      next('0 9 * * 1', 'UTC', '2026-03-30T09:00:00Z', 1),
      ['2026-04-06T09:00:00.000Z'],
      'strictly after from',
    );
    assert.deepEqual(
      next('0 0 13 * 5', 'UTC', '2026-01-01T00:00:00Z', 2),
      ['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z'],
      'Friday the 13th only',
    );
    assert.deepEqual(next('0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
  });

  it('skips a wall time that a daylight-saving change leaves out', () => {
    // 2026-03-29 has no 02:30 in Berlin.
    assert.deepEqual(next('30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z'), [
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });
});
