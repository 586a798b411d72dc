import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenize } from '../../../src/app/slack/command-text.js';
import { parseRollback, type RollbackCommand } from '../../../src/app/slack/parse-rollback.js';

const envs = (app: string) =>
  app === 'users-api' ? ['dev', 'staging', 'prod'] : app === 'billing-worker' ? ['prod'] : undefined;
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
    assert.deepEqual(ok('users-api prod 5xx after 1.42'), {
      kind: 'start',
      app: 'users-api',
      env: 'prod',
      reason: '5xx after 1.42',
    });
  });

  it('an app with one environment may leave it out: the reason starts after the app', () => {
    assert.deepEqual(ok('billing-worker queue stuck after 1.42'), {
      kind: 'start',
      app: 'billing-worker',
      reason: 'queue stuck after 1.42',
    });
    assert.deepEqual(ok('billing-worker prod queue stuck'), {
      kind: 'start',
      app: 'billing-worker',
      env: 'prod',
      reason: 'queue stuck',
    });
  });

  it('an app with several environments needs one: the word after the app is never taken for the reason', () => {
    assert.match(
      err('users-api 5xx after 1.42'),
      /app "users-api" has no environment "5xx"\. Its environments: dev, staging, prod\. Name the environment right after the app: users-api <dev\|staging\|prod>/,
    );
    assert.match(err('users-api'), /say which environment of users-api: dev, staging, prod/);
  });

  it('refuses a mistyped environment with "did you mean", never falling back to the default', () => {
    assert.match(
      err('users-api prdo 5xx'),
      /no environment "prdo" \(did you mean "prod"\?\)\. Its environments: dev, staging, prod/,
    );
    assert.match(err('users-api stagin 5xx'), /did you mean "staging"/);
    assert.match(
      err('billing-worker prdo queue stuck'),
      /app "billing-worker" has no environment "prdo" \(did you mean "prod"\?\)/,
    );
    assert.match(
      err('billing-worker stagin queue stuck'),
      /app "billing-worker" has no environment "stagin"\. Its environments: prod/,
    );
  });

  it('refuses an environment name the app does not have instead of falling back to its default', () => {
    assert.match(
      err('billing-worker staging queue stuck'),
      /app "billing-worker" has no environment "staging"\. Its environments: prod/,
    );
    assert.match(err('billing-worker production queue stuck'), /no environment "production"/);
  });

  it('refuses control characters in the reason, naming the field, and shows them escaped', () => {
    assert.match(err('users-api prod "5xx\u0000 after"'), /the reason contains a NUL byte \(U\+0000\) at character 4/);
    assert.match(err('users-api prod "two\nlines"'), /the reason contains a line break/);
    assert.match(err('users-api prod "abc\u202edef"'), /text-direction control/);
    assert.doesNotMatch(err('users-api \u0007x 5xx'), /\u0007/, 'the bell is shown escaped, not rung');
  });

  it('takes quoted reasons, straight or curly, and apostrophes inside words', () => {
    assert.equal((ok('users-api prod "5xx after 1.42"') as { reason: string }).reason, '5xx after 1.42');
    assert.equal((ok('users-api prod \u201c5xx after 1.42\u201d') as { reason: string }).reason, '5xx after 1.42');
    assert.equal(
      (ok("users-api prod Bob's deploy broke login") as { reason: string }).reason,
      "Bob's deploy broke login",
    );
    assert.equal((ok("users-api prod 'quoted --to x' rest") as { reason: string }).reason, 'quoted --to x rest');
  });

  it('reads --to / --commit / --incident anywhere after the app, also as --flag=value', () => {
    assert.deepEqual(ok('users-api prod --to abc1234 --incident INC-42 login broken'), {
      kind: 'start',
      app: 'users-api',
      env: 'prod',
      commit: 'abc1234',
      incidentId: 'INC-42',
      reason: 'login broken',
    });
    assert.deepEqual(ok('users-api prod login broken --commit=abcdef0123456789'), {
      kind: 'start',
      app: 'users-api',
      env: 'prod',
      commit: 'abcdef0123456789',
      reason: 'login broken',
    });
  });

  it('treats everything after -- as reason, flags included', () => {
    assert.deepEqual(ok('users-api prod -- --to is what broke'), {
      kind: 'start',
      app: 'users-api',
      env: 'prod',
      reason: '--to is what broke',
    });
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
    assert.match(err(`users-api prod ${'x'.repeat(501)}`), /the reason is 501 characters; keep it to at most 500/);
    assert.equal((ok(`users-api prod ${'x'.repeat(500)}`) as { reason: string }).reason.length, 500);
  });

  it('does not read numbers or a lone dash as flags', () => {
    assert.equal(
      (ok('users-api prod -5% traffic - since 12:00') as { reason: string }).reason,
      '-5% traffic - since 12:00',
    );
  });
});

describe('tokenize', () => {
  it('keeps a quote that never closes as a literal character', () => {
    assert.deepEqual(
      tokenize('a "b c').map((t) => t.text),
      ['a', '"b', 'c'],
    );
  });
  it('marks quoted tokens so they are never flags', () => {
    assert.deepEqual(tokenize('"--to" x'), [
      { text: '--to', quoted: true },
      { text: 'x', quoted: false },
    ]);
  });
});
