import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { approvalPolicy, ConfigError, parseConfig, resolveTarget, UnknownTargetError } from '../../../src/config/load.js';
import { parseDuration } from '../../../src/config/duration.js';

const example = await readFile(new URL('../../../rewind.example.yaml', import.meta.url), 'utf8');

function problemsOf(text: string) {
  try { parseConfig(text, 'rewind.yaml'); } catch (err) {
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
    const bad = example.replace('engine: { kind: argocd, name: users-api-prod', 'engine: { kind: argo, name: users-api-prod');
    const [p, ...rest] = problemsOf(bad);
    assert.equal(rest.length, 0);
    assert.equal(p!.path, 'apps.users-api.environments.prod.engine.kind');
    assert.equal(p!.line, example.split('\n').findIndex((l) => l.includes('kind: argocd, name: users-api-prod')) + 1);
    assert.match(p!.fix, /"argocd".*"flux"/);
    assert.match(String(new ConfigError([p!]).message), /^rewind\.yaml:\d+:\d+: apps\.users-api\.environments\.prod\.engine\.kind: .*Fix: use one of/);
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
    const problems = problemsOf(example.replace('owners: [alice]', 'owners: [alice, carol]').replace('cluster: prod-eu\n        engine: { kind: flux', 'cluster: prod-us\n        engine: { kind: flux'));
    assert.deepEqual(problems.map((p) => p.path).sort(), ['apps.billing-worker.environments.prod.cluster', 'apps.users-api.owners.1']);
    assert.match(problems.find((p) => p.path.endsWith('owners.1'))!.fix, /add "carol" under people/);
  });

  it('refuses bad durations and broken YAML with the line', () => {
    assert.equal(problemsOf(example.replace('window: 30s', 'window: soon'))[0]!.path, 'apps.users-api.environments.prod.health.window');
    const [syntax] = problemsOf('apps:\n  users-api: [\n');
    assert.ok(syntax!.line);
    assert.match(syntax!.fix, /YAML syntax/);
  });

  it('resolves targets and approval policies', () => {
    const cfg = parseConfig(example);
    assert.equal(resolveTarget(cfg, 'users-api').envName, 'prod');
    assert.throws(() => resolveTarget(cfg, 'nope', 'prod'), (e: Error) => e instanceof UnknownTargetError && /Known apps: users-api, billing-worker/.test(e.message));
    assert.throws(() => resolveTarget(cfg, 'users-api', 'qa'), /environments: prod, staging/);
    const prod = resolveTarget(cfg, 'users-api', 'prod');
    assert.deepEqual(approvalPolicy(cfg, 'prod', prod.env), { required: true, minApprovers: 1, allowSelfApproval: false, timeout: '15m', allowCliYes: false });
    const staging = resolveTarget(cfg, 'users-api', 'staging');
    assert.equal(approvalPolicy(cfg, 'staging', staging.env).required, false);
    const overridden = parseConfig(example.replace('drillTarget: true', 'drillTarget: true\n        approval: { allowCliYes: true }'));
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
    assert.deepEqual(cfg.drills.map((d) => [d.name, d.kind]), [['users-api-rollback', 'rollback'], ['users-api-drift', 'drift'], ['ci-has-no-cluster-credentials', 'access-audit']]);
    assert.equal(cfg.drills[1]!.targets.timeToRestore, '10m');
    assert.equal(cfg.drills[2]!.schedule!.timezone, 'UTC');
  });

  it('refuses a drill aimed at an environment that is not a drill target, saying how to fix it', () => {
    const [p] = problemsOf(example.replace('    app: users-api\n    env: staging\n    badTag', '    app: users-api\n    env: prod\n    badTag'));
    assert.equal(p!.path, 'drills.0.env');
    assert.match(p!.message, /users-api\/prod is not a drill target/);
    assert.match(p!.fix, /drillTarget: true/);
  });

  it('needs a bad tag for a rollback drill and unique names', () => {
    const problems = problemsOf(example.replace('    badTag: 0.0.0-drill-broken   # an image tag staging\'s health treats as broken\n', '').replace('name: users-api-drift', 'name: users-api-rollback'));
    assert.deepEqual(problems.map((p) => p.path).sort(), ['drills.0.badTag', 'drills.1.name']);
  });
});
