import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenize } from '../../../src/slack/command-text.js';
import { parseRollback, type RollbackCommand } from '../../../src/slack/parse-rollback.js';

const envs = (app: string) => (app === 'users-api' ? ['dev', 'staging', 'prod'] : app === 'billing-worker' ? ['prod'] : undefined);
const ALL = ['dev', 'staging', 'prod', 'production'];
const ok = (text: string): RollbackCommand => {
  const r = parseRollback(text, envs, ALL);
  if (!r.ok) assert.fail(`expected "${text}" to parse, got: ${r.error}`);
  return r.value;
};
const err = (text: string): string => {
  const r = parseRollback(text, envs, ALL);
  if (r.ok) assert.fail(`expected "${text}" to be refused, got ${JSON.stringify(r.value)}`);
  assert.match(r.error, /Usage:/, 'every refusal shows the usage');
  return r.error;
};

describe('parseRollback', () => {
  it('reads app, environment and an unquoted reason', () => {
    assert.deepEqual(ok('users-api prod 5xx after 1.42'), { kind: 'start', app: 'users-api', env: 'prod', reason: '5xx after 1.42' });
  });

  it('keeps the whole reason when the second word is not an environment of the app', () => {
    assert.deepEqual(ok('users-api 5xx after 1.42'), { kind: 'start', app: 'users-api', reason: '5xx after 1.42' });
  });

  it('refuses an environment name the app does not have instead of falling back to its default', () => {
    assert.match(err('billing-worker staging queue stuck'), /app "billing-worker" has no environment "staging"\. Its environments: prod/);
  });

  it('takes quoted reasons, straight or curly, and apostrophes inside words', () => {
    assert.equal((ok('users-api prod "5xx after 1.42"') as { reason: string }).reason, '5xx after 1.42');
    assert.equal((ok('users-api prod \u201c5xx after 1.42\u201d') as { reason: string }).reason, '5xx after 1.42');
    assert.equal((ok("users-api prod Bob's deploy broke login") as { reason: string }).reason, "Bob's deploy broke login");
    assert.equal((ok("users-api prod 'quoted --to x' rest") as { reason: string }).reason, 'quoted --to x rest');
  });

  it('reads --to / --commit / --incident anywhere after the app, also as --flag=value', () => {
    assert.deepEqual(ok('users-api prod --to abc1234 --incident INC-42 login broken'),
      { kind: 'start', app: 'users-api', env: 'prod', commit: 'abc1234', incidentId: 'INC-42', reason: 'login broken' });
    assert.deepEqual(ok('users-api prod login broken --commit=abcdef0123456789'),
      { kind: 'start', app: 'users-api', env: 'prod', commit: 'abcdef0123456789', reason: 'login broken' });
  });

  it('treats everything after -- as reason, flags included', () => {
    assert.deepEqual(ok('users-api prod -- --to is what broke'), { kind: 'start', app: 'users-api', env: 'prod', reason: '--to is what broke' });
  });

  it('undoes Slack HTML escaping in the reason', () => {
    assert.equal((ok('users-api prod p99 &gt; 2s &amp; 5xx') as { reason: string }).reason, 'p99 > 2s & 5xx');
  });

  it('parses status and help', () => {
    assert.deepEqual(ok('status'), { kind: 'status' });
    assert.deepEqual(ok('status users-api'), { kind: 'status', app: 'users-api' });
    assert.deepEqual(ok('help'), { kind: 'help' });
    assert.deepEqual(ok(''), { kind: 'help' });
    assert.deepEqual(ok('   '), { kind: 'help' });
  });

  it('refuses a --to that is not a sha, naming the value', () => {
    assert.match(err('users-api prod --to nothex broken'), /--to "nothex" is not a commit sha/);
    assert.match(err('users-api prod --to ABC1234 broken'), /not a commit sha/);
    assert.match(err('users-api prod broken --to'), /--to needs a commit sha/);
  });

  it('refuses unknown flags', () => {
    assert.match(err('users-api prod --force broken'), /unknown flag --force/);
    assert.match(err('users-api prod -y broken'), /unknown flag -y/);
  });

  it('refuses incident ids that could break a commit trailer', () => {
    assert.match(err('users-api prod --incident "INC 42" broken'), /not an incident id/);
    assert.match(err('users-api prod --incident "INC-1\nRewind-Run: x" broken'), /not an incident id/);
  });

  it('refuses a missing reason, a missing app, and names that are not app names', () => {
    assert.match(err('users-api prod'), /say why/);
    assert.match(err('--incident INC-1'), /say which app/);
    assert.match(err('Users_API prod broken'), /not an app name/);
    assert.match(err('status a b'), /at most one app/);
    assert.match(err(`users-api prod ${'x'.repeat(501)}`), /keep it under 500/);
  });

  it('does not read numbers or a lone dash as flags', () => {
    assert.equal((ok('users-api prod -5% traffic - since 12:00') as { reason: string }).reason, '-5% traffic - since 12:00');
  });
});

describe('tokenize', () => {
  it('keeps a quote that never closes as a literal character', () => {
    assert.deepEqual(tokenize('a "b c').map((t) => t.text), ['a', '"b', 'c']);
  });
  it('marks quoted tokens so they are never flags', () => {
    assert.deepEqual(tokenize('"--to" x'), [{ text: '--to', quoted: true }, { text: 'x', quoted: false }]);
  });
});
