import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crashes, matchFault, type FaultRule, type PodFacts } from '../../../../src/sandbox/workloads/faults.js';

const pod = (
  image: string,
  envs: Array<Record<string, string>> = [{}],
  owner: PodFacts['owner'] = { kind: 'Deployment', name: 'users-api' },
): PodFacts => ({
  namespace: 'users-api-prod',
  owner,
  containers: envs.map((_, i) => ({ name: i === 0 ? 'app' : `sidecar-${i}`, image: i === 0 ? image : 'envoy:1' })),
  envs,
});

describe('fault rules', () => {
  const needsPrimary: FaultRule = {
    name: 'primary',
    env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
    message: 'wrong db',
  };

  it('an image rule matches the exact image only, blaming that container', () => {
    const rule: FaultRule = { name: 'bad', image: 'ghcr.io/acme/users-api:1.43.0', message: 'crash' };
    assert.deepEqual(matchFault(pod('ghcr.io/acme/users-api:1.43.0'), [rule]), { rule, container: 'app' });
    assert.equal(matchFault(pod('ghcr.io/acme/users-api:1.43.01'), [rule]), undefined);
  });

  it('mustEqual fails a wrong or missing value; namespace and deployment narrow the rule', () => {
    const wrong = pod('x', [{ DB_HOST: 'db-staging.internal' }]);
    assert.equal(matchFault(wrong, [needsPrimary])?.rule, needsPrimary);
    assert.equal(matchFault(pod('x'), [needsPrimary])?.rule, needsPrimary, 'unset fails mustEqual');
    assert.equal(matchFault(pod('x', [{ DB_HOST: 'db-prod.internal' }]), [needsPrimary]), undefined);
    assert.equal(matchFault(wrong, [{ ...needsPrimary, namespace: 'users-api-dev' }]), undefined);
    assert.equal(matchFault(wrong, [{ ...needsPrimary, deployment: 'other' }]), undefined);
  });

  it('mustNotEqual fails only the given value; a bare env rule fails when the variable is set', () => {
    const forbid: FaultRule = {
      name: 'no-staging',
      env: { name: 'DB_HOST', mustNotEqual: 'db-staging.internal' },
      message: 'm',
    };
    assert.equal(matchFault(pod('x', [{ DB_HOST: 'db-staging.internal' }]), [forbid])?.rule, forbid);
    assert.equal(matchFault(pod('x'), [forbid]), undefined);
    assert.equal(
      matchFault(pod('x', [{ DEBUG: '1' }]), [{ name: 'debug', env: { name: 'DEBUG' }, message: 'm' }])?.rule.name,
      'debug',
    );
  });

  it(
    'env is judged on the containers that define it: a sidecar ' +
      'without it does not fail, the one with a wrong value is blamed',
    () => {
      assert.equal(matchFault(pod('x', [{ DB_HOST: 'db-prod.internal' }, {}]), [needsPrimary]), undefined);
      assert.deepEqual(
        matchFault(pod('x', [{ DB_HOST: 'db-prod.internal' }, { DB_HOST: 'localhost' }]), [needsPrimary])?.container,
        'sidecar-1',
      );
    },
  );

  it('a rule naming a Deployment never matches Job pods, and the other way round', () => {
    const job = pod('x', [{}], { kind: 'Job', name: 'users-api' });
    assert.equal(matchFault(job, [{ name: 'd', deployment: 'users-api', message: 'm' }]), undefined);
    assert.equal(matchFault(job, [{ name: 'j', job: 'users-api', message: 'm' }])?.rule.name, 'j');
    assert.equal(matchFault(pod('x'), [{ name: 'j', job: 'users-api', message: 'm' }]), undefined);
  });

  it('the first matching rule wins', () => {
    const rules: FaultRule[] = [
      { name: 'a', image: 'nope', message: 'a' },
      { name: 'b', message: 'b' },
      { name: 'c', message: 'c' },
    ];
    assert.equal(matchFault(pod('x'), rules)?.rule.name, 'b');
  });

  it('a startDelayMs rule alone is a slow start, not a crash', () => {
    assert.deepEqual(
      [
        { name: 'a', message: '' },
        { name: 'b', message: '', startDelayMs: 1 },
        { name: 'c', message: '', startDelayMs: 1, crashAfterReadyMs: 1 },
        { name: 'd', message: '', crashAfterReadyMs: 0 },
      ].map(crashes),
      [true, false, true, true],
    );
  });
});
