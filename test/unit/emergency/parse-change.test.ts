import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChangeSyntaxError,
  GitOptionsError,
  parseChange,
  withGitOptions,
} from '../../../src/lib/emergency/parse-change.js';

describe('parseChange', () => {
  it('turns ConfigMap KEY=VALUE pairs into a merge patch', () => {
    assert.deepEqual(
      parseChange('configmap/users-api-env DB_HOST=db-prod-2.internal LOG_LEVEL=debug', 'users-api-prod'),
      {
        object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'users-api-prod', name: 'users-api-env' },
        patchType: 'merge',
        patch: { data: { DB_HOST: 'db-prod-2.internal', LOG_LEVEL: 'debug' } },
      },
    );
  });

  it('keeps "=" inside values', () => {
    assert.deepEqual(parseChange('configmap/x URL=https://a.test/?q=1', 'ns').patch, {
      data: { URL: 'https://a.test/?q=1' },
    });
  });

  it('patches a container image and env by container name (strategic merge)', () => {
    assert.deepEqual(parseChange('deployment/users-api image=ghcr.io/acme/users-api:1.42.1', 'ns'), {
      object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'users-api' },
      patchType: 'strategic',
      patch: {
        spec: { template: { spec: { containers: [{ name: 'users-api', image: 'ghcr.io/acme/users-api:1.42.1' }] } } },
      },
    });
    assert.deepEqual(parseChange('deployment/users-api:sidecar env LOG_LEVEL=debug', 'ns').patch, {
      spec: { template: { spec: { containers: [{ name: 'sidecar', env: [{ name: 'LOG_LEVEL', value: 'debug' }] }] } } },
    });
  });

  it('accepts an explicit JSON merge patch', () => {
    const c = parseChange('deployment/users-api {"spec":{"replicas":5}}', 'ns');
    assert.equal(c.patchType, 'strategic');
    assert.deepEqual(c.patch, { spec: { replicas: 5 } });
  });

  it('refuses what it cannot read, saying the forms', () => {
    for (const bad of [
      'users-api DB_HOST=x',
      'pod/x A=b',
      'configmap/x',
      'configmap/x =v',
      'configmap/x A',
      'deployment/x replicas=3',
      'configmap/x {not json',
      'configmap/x:c A=b',
      'deployment/x image=$(rm -rf /)',
      'configmap/UPPER A=b',
    ]) {
      assert.throws(
        () => parseChange(bad, 'ns'),
        (e: Error) => e instanceof ChangeSyntaxError && /Forms: "configmap\/NAME KEY=VALUE"/.test(e.message),
        bad,
      );
    }
  });
});

describe('withGitOptions', () => {
  const one = parseChange('configmap/users-api-env LOG_LEVEL=debug', 'ns');
  const two = parseChange('deployment/users-api env LOG_LEVEL=debug', 'ns');

  it('leaves changes to stay in their environment by default', () => {
    assert.deepEqual(withGitOptions([one, two], {}), [one, two]);
    assert.deepEqual(withGitOptions([one], { gitBase: false }), [one]);
  });

  it('--git-base lets every change edit a shared base', () => {
    assert.deepEqual(
      withGitOptions([one, two], { gitBase: true }).map((c) => c.gitScope),
      ['base', 'base'],
    );
  });

  it('--git-file/--git-path name the place of the one change, with or without --git-base', () => {
    assert.deepEqual(withGitOptions([one], { gitFile: 'a/b.yaml', gitPath: 'data.X' }), [
      { ...one, gitFile: 'a/b.yaml', gitPath: 'data.X' },
    ]);
    assert.deepEqual(withGitOptions([one], { gitFile: 'a/b.yaml', gitPath: 'data.X', gitBase: true }), [
      { ...one, gitFile: 'a/b.yaml', gitPath: 'data.X', gitScope: 'base' },
    ]);
  });

  it('refuses options that do not fit, naming the flags', () => {
    const refused = (o: Parameters<typeof withGitOptions>[1], changes = [one], message: RegExp) =>
      assert.throws(
        () => withGitOptions(changes, o),
        (e: Error) => e instanceof GitOptionsError && message.test(e.message),
      );
    refused({ gitFile: 'a/b.yaml' }, [one], /give --git-file and --git-path together/);
    refused({ gitPath: 'data.X', gitBase: true }, [one], /give --git-file and --git-path together/);
    refused({ gitFile: 'a/b.yaml', gitPath: 'data.X' }, [one, two], /exactly one --change/);
  });
});
