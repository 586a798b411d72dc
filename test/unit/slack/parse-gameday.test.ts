import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGameday, type GamedayCommand } from '../../../src/app/slack/parse-gameday.js';

const DRILLS = ['users-api-staging-rollback', 'users-api-dev-drift', 'ci-access-audit'];
const ok = (text: string): GamedayCommand => {
  const r = parseGameday(text, DRILLS);
  if (!r.ok) assert.fail(`expected "${text}" to parse, got: ${r.error}`);
  return r.value;
};
const err = (text: string, drills = DRILLS): string => {
  const r = parseGameday(text, drills);
  if (r.ok) assert.fail(`expected "${text}" to be refused, got ${JSON.stringify(r.value)}`);
  assert.match(r.error, /Usage:[\s\S]*\/gameday run <drill>/, 'every refusal shows the usage');
  return r.error;
};

describe('parseGameday', () => {
  it('help: nothing, help, -h, --help', () => {
    for (const t of ['', '   ', 'help', '-h', '--help']) assert.deepEqual(ok(t), { kind: 'help' });
  });

  it('list, and the four verbs on a drill of rewind.yaml', () => {
    assert.deepEqual(ok('list'), { kind: 'list' });
    assert.deepEqual(ok('run users-api-dev-drift'), { kind: 'run', drill: 'users-api-dev-drift' });
    assert.deepEqual(ok('  pause   ci-access-audit '), { kind: 'pause', drill: 'ci-access-audit' });
    assert.deepEqual(ok('resume users-api-staging-rollback'), { kind: 'resume', drill: 'users-api-staging-rollback' });
    assert.deepEqual(ok('abort "users-api-dev-drift"'), { kind: 'abort', drill: 'users-api-dev-drift' });
  });

  it('report with no argument, a duration back from now, or a date', () => {
    assert.deepEqual(ok('report'), { kind: 'report' });
    assert.deepEqual(ok('report 7d'), { kind: 'report', since: '7d' });
    assert.deepEqual(ok('report 12h30m'), { kind: 'report', since: '12h30m' });
    assert.deepEqual(ok('report 2026-03-01'), { kind: 'report', since: '2026-03-01' });
    assert.deepEqual(ok('report 2026-03-01T14:00:00Z'), { kind: 'report', since: '2026-03-01T14:00:00Z' });
  });

  it('an unknown drill is refused with the drills that exist', () => {
    assert.match(
      err('run nope'),
      /no drill "nope" in rewind\.yaml; drills: users-api-staging-rollback, users-api-dev-drift, ci-access-audit/,
    );
    assert.match(err('abort users-api-dev'), /no drill "users-api-dev"/, 'no prefix matching');
    assert.match(err('run nope', []), /drills: \(none: add them under drills: in rewind\.yaml\)/);
  });

  it('a missing or extra drill name is refused', () => {
    assert.match(err('run'), /say which drill to run: users-api-staging-rollback/);
    assert.match(err('pause'), /say which drill to pause/);
    assert.match(err('run users-api-dev-drift ci-access-audit'), /`\/gameday run` takes one drill name/);
    assert.match(err('list all'), /`\/gameday list` takes no arguments/);
  });

  it('a since that is neither a duration nor a date, or more than one word, is refused', () => {
    assert.match(err('report yesterday'), /"yesterday" is neither a date .* nor a duration back from now \(7d, 12h\)/);
    assert.match(err('report 7 days'), /takes at most one word/);
    assert.match(err('report 2026-13-45'), /"2026-13-45" is not a real date or time/);
    assert.match(err('report 9999-12-31'), /"9999-12-31" is in the future; give a date in the past/);
    assert.match(err('report 99999999999d'), /reaches back more than 3660 days/);
  });

  it('an unknown or quoted subcommand is refused', () => {
    assert.match(err('start users-api-dev-drift'), /unknown subcommand "start"/);
    assert.match(err('"run" users-api-dev-drift'), /unknown subcommand "run"/);
    assert.match(err('RUN users-api-dev-drift'), /unknown subcommand "RUN"/);
  });
});
