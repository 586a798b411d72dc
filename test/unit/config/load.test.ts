import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  approvalPolicy,
  ConfigError,
  parseConfig,
  resolveTarget,
  UnknownTargetError,
} from '../../../src/lib/config/load.js';
import { parseDuration } from '../../../src/lib/config/duration.js';

const example = await readFile(new URL('../../../rewind.example.yaml', import.meta.url), 'utf8');

function problemsOf(text: string) {
  try {
    parseConfig(text, 'rewind.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the config to be refused');
}

describe('config loading', () => {
  it('accepts the shipped example and fills defaults', () => {
    const cfg = parseConfig(example);
    const users = cfg.apps['users-api']!;
    assert.deepEqual(users.owners, ['alice']);
    assert.equal(users.environments.prod!.engine.kind, 'argocd');
    assert.equal(users.environments.prod!.health.window, '30s');
    assert.equal(users.environments.prod!.drillTarget, false);
    assert.equal(users.environments.staging!.engine.namespace, 'argocd');
    assert.equal(cfg.apps['billing-worker']!.environments.prod!.engine.kind, 'flux');
  });

  it('names file, line, path and fix for a wrong engine kind', () => {
    const bad = example.replace(
      'engine: { kind: argocd, name: users-api-prod',
      'engine: { kind: argo, name: users-api-prod',
    );
    const [p, ...rest] = problemsOf(bad);
    assert.equal(rest.length, 0);
    assert.equal(p!.path, 'apps.users-api.environments.prod.engine.kind');
    assert.equal(p!.line, example.split('\n').findIndex((l) => l.includes('kind: argocd, name: users-api-prod')) + 1);
    assert.match(p!.fix, /"argocd".*"flux"/);
    assert.match(
      String(new ConfigError([p!]).message),
      /^rewind\.yaml:\d+:\d+: apps\.users-api\.environments\.prod\.engine\.kind: .*Fix: use one of/,
    );
  });

  it('catches a misspelt key instead of silently ignoring it', () => {
    const [p] = problemsOf(example.replace('drillTarget: true', 'drilTarget: true'));
    assert.equal(p!.path, 'apps.users-api.environments.staging');
    assert.match(p!.fix, /"drilTarget"/);
  });

  it('reports a missing required key at its parent', () => {
    const [p] = problemsOf(example.replace('        workloads: [deployment/billing-worker]\n', ''));
    assert.equal(p!.path, 'apps.billing-worker.environments.prod.workloads');
    assert.match(p!.fix, /add the required key "workloads"/);
    assert.ok(p!.line && p!.line > 0);
  });

  it('checks references between sections', () => {
    const problems = problemsOf(
      example
        .replace('owners: [alice]', 'owners: [alice, carol]')
        .replace('cluster: prod-eu\n        engine: { kind: flux', 'cluster: prod-us\n        engine: { kind: flux'),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'apps.billing-worker.environments.prod.cluster',
      'apps.users-api.owners.1',
    ]);
    assert.match(problems.find((p) => p.path.endsWith('owners.1'))!.fix, /add "carol" under people/);
  });

  it('refuses bad durations and broken YAML with the line', () => {
    assert.equal(
      problemsOf(example.replace('window: 30s', 'window: soon'))[0]!.path,
      'apps.users-api.environments.prod.health.window',
    );
    const [syntax] = problemsOf('apps:\n  users-api: [\n');
    assert.ok(syntax!.line);
    assert.match(syntax!.fix, /YAML syntax/);
  });

  it('resolves targets and approval policies', () => {
    const cfg = parseConfig(example);
    assert.equal(resolveTarget(cfg, 'users-api').envName, 'prod');
    assert.throws(
      () => resolveTarget(cfg, 'nope', 'prod'),
      (e: Error) => e instanceof UnknownTargetError && /Known apps: users-api, billing-worker/.test(e.message),
    );
    assert.throws(() => resolveTarget(cfg, 'users-api', 'qa'), /environments: prod, staging/);
    const prod = resolveTarget(cfg, 'users-api', 'prod');
    assert.deepEqual(approvalPolicy(cfg, 'prod', prod.env), {
      required: true,
      minApprovers: 1,
      allowSelfApproval: false,
      timeout: '15m',
      allowCliYes: false,
      requireProvenIdentity: true,
    });
    const staging = resolveTarget(cfg, 'users-api', 'staging');
    assert.equal(approvalPolicy(cfg, 'staging', staging.env).required, false);
    assert.equal(approvalPolicy(cfg, 'staging', staging.env).requireProvenIdentity, false);
    const overridden = parseConfig(
      example.replace('drillTarget: true', 'drillTarget: true\n        approval: { allowCliYes: true }'),
    );
    const policy = approvalPolicy(overridden, 'staging', resolveTarget(overridden, 'users-api', 'staging').env);
    assert.equal(policy.allowCliYes, true);
    assert.equal(policy.required, false);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('ten'), undefined);
  });
});

describe('drill configuration', () => {
  it('accepts the example drills with defaults', () => {
    const cfg = parseConfig(example);
    assert.deepEqual(
      cfg.drills.map((d) => [d.name, d.kind]),
      [
        ['users-api-rollback', 'rollback'],
        ['users-api-drift', 'drift'],
        ['ci-has-no-cluster-credentials', 'access-audit'],
      ],
    );
    assert.equal(cfg.drills[1]!.targets.timeToRestore, '10m');
    assert.equal(cfg.drills[2]!.schedule!.timezone, 'UTC');
  });

  it('refuses a drill aimed at an environment that is not a drill target, saying how to fix it', () => {
    const [p] = problemsOf(
      example.replace(
        '    app: users-api\n    env: staging\n    badTag',
        '    app: users-api\n    env: prod\n    badTag',
      ),
    );
    assert.equal(p!.path, 'drills.0.env');
    assert.match(p!.message, /users-api\/prod is not a drill target/);
    assert.match(p!.fix, /drillTarget: true/);
  });

  it('needs a bad tag for a rollback drill and unique names', () => {
    const problems = problemsOf(
      example
        .replace("    badTag: 0.0.0-drill-broken   # an image tag staging's health treats as broken\n", '')
        .replace('name: users-api-drift', 'name: users-api-rollback'),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), ['drills.0.badTag', 'drills.1.name']);
  });
});

describe('config semantics refused at load, each with file, line, path and fix', () => {
  const one = (text: string) => {
    const problems = problemsOf(text);
    assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
    const p = problems[0]!;
    assert.ok(p.line && p.line > 0, `a line for ${p.path}`);
    assert.ok(p.fix.length > 0);
    return p;
  };

  it('repo URLs and branches git would read as options, paths outside the repo, non-http links', () => {
    assert.match(
      one(example.replace('url: git@github.com:acme/config.git', 'url: "--upload-pack=touch /tmp/x"')).message,
      /must not start with "-"/,
    );
    assert.match(
      one(example.replace('url: git@github.com:acme/config.git', 'url: "ext::sh -c touch% /tmp/x"')).message,
      /remote-helper/,
    );
    assert.match(one(example.replace('branch: main', 'branch: "-D"')).message, /must not start with "-"/);
    assert.match(one(example.replace('branch: main', 'branch: "main..x"')).message, /must not contain "\.\."/);
    const p = one(example.replace('path: apps/users-api/overlays/prod', 'path: ../../etc'));
    assert.equal(p.path, 'apps.users-api.environments.prod.path');
    assert.equal(p.line, example.split('\n').findIndex((l) => l.includes('path: apps/users-api/overlays/prod')) + 1);
    assert.match(one(example.replace('path: apps/users-api/overlays/prod', 'path: /etc')).message, /is absolute/);
    assert.match(
      one(example.replace('uiUrl: http://127.0.0.1:8233', 'uiUrl: "javascript:alert(1)"')).message,
      /http or https, not javascript:/,
    );
    assert.match(
      one(example.replace('webUrl: https://github.com/acme/config', 'webUrl: "data:text/html,x"')).message,
      /not data:/,
    );
    assert.match(
      one(example.replace('# probeUrl: https://users-api.acme.test/healthz', 'probeUrl: "file:///etc/passwd"')).message,
      /not file:/,
    );
  });

  it('zero, overlong and malformed durations', () => {
    const zero = one(example.replace('window: 30s', 'window: 0s'));
    assert.equal(zero.path, 'apps.users-api.environments.prod.health.window');
    assert.match(zero.message, /would end before it starts/);
    assert.match(zero.fix, /positive duration/);
    assert.match(one(example.replace('timeout: 15m', 'timeout: 0m')).message, /would end before it starts/);
    assert.match(one(example.replace('timeToDetect: 2m', 'timeToDetect: 0ms')).message, /would end before it starts/);
    assert.match(one(example.replace('window: 30s', 'window: 31d')).message, /longer than 30 days/);
  });

  it('invalid cron expressions and time zones of drill schedules', () => {
    const cron = one(example.replace('cron: "0 10 * * 2"', 'cron: "0 25 * * 2"'));
    assert.equal(cron.path, 'drills.0.schedule.cron');
    assert.match(cron.message, /hour 25 is out of range 0-23/);
    assert.match(one(example.replace('cron: "0 10 * * 2"', 'cron: "0 10 31 2 *"')).message, /never fires/);
    const tz = one(example.replace('timezone: Europe/Berlin }\n    targets', 'timezone: Europe/Berlni }\n    targets'));
    assert.equal(tz.path, 'drills.0.schedule.timezone');
    assert.match(tz.message, /unknown time zone "Europe\/Berlni"/);
  });

  it('an approval policy the listed approvers cannot satisfy', () => {
    const none = one(example.replace('approvers: [bob]', 'approvers: []'));
    assert.equal(none.path, 'apps.users-api.approvers');
    assert.match(
      none.message,
      /users-api\/prod requires 1 approval per run but the app lists no approvers: no run there could ever be approved/,
    );
    const self = one(example.replace('approvers: [bob]', 'approvers: [alice]'));
    assert.match(
      self.message,
      /when alice \(an owner\) asks, nobody may: alice is the only approver and may not approve their own run/,
    );
    assert.match(self.fix, /allowSelfApproval: true/);
    // Self-approval allowed: the owner alone satisfies one approval.
    assert.doesNotThrow(() =>
      parseConfig(
        example
          .replace('approvers: [bob]', 'approvers: [alice]')
          .replace('allowSelfApproval: false', 'allowSelfApproval: true'),
      ),
    );
    const two = problemsOf(example.replace('minApprovers: 1', 'minApprovers: 2'));
    assert.deepEqual(
      two.map((p) => p.path),
      ['apps.users-api.approvers', 'apps.billing-worker.approvers'],
    );
    assert.match(two[0]!.message, /requires 2 approvals per run but only bob is listed as approver/);
    // Two approvers, one of them the owner: when that owner asks only one other may approve.
    const [owner] = problemsOf(
      example
        .replace('minApprovers: 1', 'minApprovers: 2')
        .replace('approvers: [bob]', 'approvers: [bob, alice]')
        .replace('approvers: [alice]\n', 'approvers: [alice, bob]\n'),
    );
    assert.match(
      owner!.message,
      /users-api\/prod requires 2 approvals from someone other than the requester, but when alice \(an owner\) asks, only bob may approve/,
    );
    // Not required (staging), or --yes allowed: nothing to satisfy.
    assert.doesNotThrow(() =>
      parseConfig(
        example.replace('approvers: [bob]', 'approvers: []').replace('allowCliYes: false', 'allowCliYes: true'),
      ),
    );
  });

  it('postmortems: names a repo under repos: and a directory inside it', () => {
    assert.deepEqual(parseConfig(example).postmortems, { repo: 'postmortems', path: 'incidents/rewind' });
    const defaulted = parseConfig(example.replace('  path: incidents/rewind\n', ''));
    assert.equal(defaulted.postmortems?.path, 'postmortems');
    const unknown = one(example.replace('postmortems:\n  repo: postmortems', 'postmortems:\n  repo: notes'));
    assert.equal(unknown.path, 'postmortems.repo');
    assert.match(unknown.message, /unknown repo "notes"/);
    assert.match(unknown.fix ?? '', /use one of: config, postmortems/);
    assert.match(one(example.replace('path: incidents/rewind', 'path: ../elsewhere')).message, /leaves the repository/);
  });

  it('names that reach the object prototype are unknown references or refused keys', () => {
    const p = one(
      example.replace(
        'cluster: prod-eu\n        engine: { kind: flux',
        'cluster: constructor\n        engine: { kind: flux',
      ),
    );
    assert.match(p.message, /unknown cluster "constructor"/);
    assert.match(
      one(
        example.replace(
          'repo: config\n        path: apps/billing-worker/prod',
          'repo: toString\n        path: apps/billing-worker/prod',
        ),
      ).message,
      /unknown repo "toString"/,
    );
    assert.match(
      one(example.replace('owners: [bob]', 'owners: [constructor]')).message,
      /unknown person "constructor"/,
    );
    const proto = one(example.replace('  prod-eu:\n', '  __proto__:\n'));
    assert.match(proto.message, /a key named "__proto__" is not allowed/);
    assert.equal(proto.line, example.split('\n').indexOf('  prod-eu:') + 1);
    assert.match(
      one(
        example.replace(
          '    app: users-api\n    env: staging\n    badTag',
          '    app: hasOwnProperty\n    env: staging\n    badTag',
        ),
      ).message,
      /unknown app "hasOwnProperty"|expected a lowercase DNS-1123 name/,
    );
  });

  it('alias bombs and deep nesting are refused with the file and the line', () => {
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' +
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n' +
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n';
    const b = one(bomb);
    assert.equal(b.line, 5);
    assert.match(b.message, /aliases expand to more than 10000 values by this alias \(\*d\)/);
    assert.match(new ConfigError([b]).message, /^rewind\.yaml:5:\d+: /);
    const deep = one(`apps:\n${Array.from({ length: 40 }, (_, i) => `${' '.repeat(i + 1)}a${i}:`).join('\n')} 1\n`);
    assert.equal(deep.line, 33);
    assert.match(deep.message, /nested more than 32 levels deep/);
    const flow = one(`apps: ${'['.repeat(20000)}${']'.repeat(20000)}\n`);
    assert.equal(flow.line, 1);
    assert.match(flow.message, /nested (too deeply|more than 32 levels)/);
  });

  it('an unknown app or environment is answered with the closest names', () => {
    const cfg = parseConfig(example);
    assert.throws(
      () => resolveTarget(cfg, 'user-api', 'prod'),
      /unknown app "user-api" \(did you mean "users-api"\?\)\. Known apps: users-api, billing-worker/,
    );
    assert.throws(
      () => resolveTarget(cfg, 'users-api', 'prdo'),
      /app "users-api" has no environment "prdo" \(did you mean "prod"\?\)\. Its environments: prod, staging/,
    );
    assert.throws(
      () => resolveTarget(cfg, 'users-api', ''),
      /has no environment ""/,
      'an empty environment is one the user wrote: never the default',
    );
  });
});
