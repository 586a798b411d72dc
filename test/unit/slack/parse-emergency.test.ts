import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMERGENCY_USAGE, parseEmergency, type EmergencyCommand } from '../../../src/app/slack/parse-emergency.js';

const names = {
  envsOf: (app: string) =>
    app === 'users-api' ? ['dev', 'staging', 'prod'] : app === 'billing-worker' ? ['prod'] : undefined,
  anyEnv: ['dev', 'staging', 'prod', 'production'],
};
const ok = (text: string): EmergencyCommand => {
  const r = parseEmergency(text, names);
  if (!r.ok) assert.fail(`expected "${text}" to parse, got: ${r.error}`);
  return r.value;
};
const err = (text: string): string => {
  const r = parseEmergency(text, names);
  if (r.ok) assert.fail(`expected "${text}" to be refused, got ${JSON.stringify(r.value)}`);
  assert.match(r.error, /Usage:/, 'every refusal shows the usage');
  return r.error;
};

describe('parseEmergency: start', () => {
  it('reads app, environment, quoted changes (straight or curly quotes), incident and reason', () => {
    assert.deepEqual(ok('users-api prod --change "configmap/users-api-env LOG_LEVEL=debug" need logs'), {
      kind: 'start',
      app: 'users-api',
      env: 'prod',
      changes: ['configmap/users-api-env LOG_LEVEL=debug'],
      reason: 'need logs',
    });
    assert.deepEqual(
      ok(
        'billing-worker --incident INC-7 --change \u201cdeployment/billing-worker ' +
          'image=ghcr.io/acme/billing-worker:1.42.1\u201d --change "configmap/billing-worker-env A=1 B=2" bad build',
      ),
      {
        kind: 'start',
        app: 'billing-worker',
        incidentId: 'INC-7',
        changes: [
          'deployment/billing-worker image=ghcr.io/acme/billing-worker:1.42.1',
          'configmap/billing-worker-env A=1 B=2',
        ],
        reason: 'bad build',
      },
    );
  });

  it(
    'a mistyped environment is refused with "did you mean", ' + 'never taken into the reason with prod as the target',
    () => {
      assert.match(
        err('users-api prdo --change "configmap/users-api-env A=1" failover'),
        /app "users-api" has no environment "prdo" \(did you mean "prod"\?\)\. Its environments: dev, staging, prod/,
      );
      assert.match(err('users-api stagign --change "configmap/users-api-env A=1" failover'), /did you mean "staging"/);
      assert.match(
        err('users-api --change "configmap/users-api-env A=1" bad build'),
        /no environment "bad".*Name the environment right after the app: users-api <dev\|staging\|prod>/,
      );
      assert.match(
        err('billing-worker prdo --change "configmap/billing-worker-env A=1" failover'),
        /no environment "prdo" \(did you mean "prod"\?\)/,
      );
    },
  );

  it('refuses control characters in the reason, the changes and the comment, naming the field', () => {
    assert.match(
      err('users-api prod --change "configmap/users-api-env A=1" "db\u0000 failover"'),
      /the reason contains a NUL byte \(U\+0000\)/,
    );
    assert.match(
      err('users-api prod --change "configmap/users-api-env A=1\nB=2" failover'),
      /--change "configmap\/users-api-env A=1\\u000aB=2" contains a line break/,
    );
    assert.match(
      err('resolve users-api prod --comment "done\u001b[2J"'),
      /the comment contains a control character \(U\+001B\)/,
    );
    assert.match(
      err(`users-api prod --change "configmap/users-api-env A=1" ${'x'.repeat(501)}`),
      /the reason is 501 characters; keep it to at most 500/,
    );
    assert.match(
      err(`resolve users-api prod --comment "${'x'.repeat(501)}"`),
      /the comment is 501 characters; keep it to at most 500/,
    );
  });

  it('reads --git-base as a switch, anywhere among the flags', () => {
    assert.deepEqual(
      ok('users-api prod --git-base --change "deployment/users-api env LOG_LEVEL=debug" every env needs it'),
      {
        kind: 'start',
        app: 'users-api',
        env: 'prod',
        changes: ['deployment/users-api env LOG_LEVEL=debug'],
        reason: 'every env needs it',
        gitBase: true,
      },
    );
    assert.equal(
      (ok('users-api prod --change "configmap/users-api-env A=1" --git-base why') as { gitBase?: boolean }).gitBase,
      true,
    );
    assert.match(
      err('users-api prod --git-base=yes --change "configmap/users-api-env A=1" why'),
      /--git-base takes no value/,
    );
    assert.match(EMERGENCY_USAGE, /\[--git-base\].*\n.*\n.*`--git-base` edits the shared base/);
  });

  it('keeps a JSON merge patch whole, and undoes Slack escaping inside it', () => {
    const v = ok(
      'users-api staging --change \'deployment/users-api {"spec":{"replicas":4}}\' scale out &amp; watch',
    ) as Extract<EmergencyCommand, { kind: 'start' }>;
    assert.deepEqual(v.changes, ['deployment/users-api {"spec":{"replicas":4}}']);
    assert.equal(v.reason, 'scale out & watch');
  });

  it('refuses an environment name the app does not have instead of falling back to prod', () => {
    assert.match(
      err('billing-worker staging --change "configmap/x A=b" queue stuck'),
      /app "billing-worker" has no environment "staging"\. Its environments: prod/,
    );
  });

  it('refuses a missing change, an unquoted change, a missing reason and a bad incident id', () => {
    assert.match(err('users-api prod need logs'), /say what to change live with --change/);
    assert.match(
      err('users-api prod --change configmap/users-api-env LOG_LEVEL=debug need logs'),
      /put the whole change in quotes: --change "configmap\/users-api-env KEY=VALUE"/,
    );
    assert.match(err('users-api prod --change "configmap/users-api-env LOG_LEVEL=debug"'), /say why/);
    assert.match(err('users-api prod --change'), /--change needs a change in quotes/);
    assert.match(err('users-api prod --incident "INC 7" --change "configmap/x A=b" why'), /not an incident id/);
    assert.match(err('users-api prod --force --change "configmap/x A=b" why'), /unknown flag --force/);
    assert.match(err('--change "configmap/x A=b"'), /say which app to change/);
  });
});

describe('parseEmergency: status, pauses, resolve, abandon, help', () => {
  it('parses the subcommands', () => {
    assert.deepEqual(ok('status'), { kind: 'status' });
    assert.deepEqual(ok('status users-api'), { kind: 'status', app: 'users-api' });
    assert.deepEqual(ok('pauses'), { kind: 'pauses' });
    assert.deepEqual(ok('help'), { kind: 'help' });
    assert.deepEqual(ok(''), { kind: 'help' });
    assert.deepEqual(ok('resolve users-api prod'), { kind: 'resolve', app: 'users-api', env: 'prod' });
    assert.deepEqual(ok('resolve users-api --comment "fixed in #123"'), {
      kind: 'resolve',
      app: 'users-api',
      comment: 'fixed in #123',
    });
    assert.deepEqual(ok('abandon users-api staging --confirm'), { kind: 'abandon', app: 'users-api', env: 'staging' });
  });

  it('abandon without --confirm is refused, saying what abandon does', () => {
    const e = err('abandon users-api prod');
    assert.match(e, /abandon resumes auto-sync of users-api\/prod and lets Git win: the engine undoes the live change/);
    assert.match(e, /`\/emergency abandon users-api prod --confirm`/);
  });

  it('resolve and abandon take no free words: a mistyped environment is refused, not taken for the default', () => {
    assert.match(err('abandon users-api stagin --confirm'), /app "users-api" has no environment "stagin"/);
    assert.match(
      err('resolve users-api prod it is in git now'),
      /takes an app and an environment; put a comment in --comment/,
    );
    assert.match(err('resolve users-api prod --confirm'), /--confirm is for abandon/);
    assert.match(err('pauses users-api'), /takes no arguments/);
    assert.match(err('status a b'), /at most one app/);
  });

  it('a quoted first word is an app name, never a subcommand (rewind.yaml then says whether it exists)', () => {
    assert.equal(ok('"status" --change "configmap/x A=b" why').kind, 'start');
  });
});
