import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referencedPaths } from '../../../src/lib/git/kustomize-sources.js';

describe('referencedPaths', () => {
  it('collects every local path a kustomization names, and skips remote bases and inline patches', () => {
    const k = {
      resources: ['../../base', 'extra.yaml', 'https://github.com/acme/x//deploy?ref=v1', 'github.com/acme/y/base'],
      components: ['../../components/tracing'],
      bases: ['../legacy'],
      patches: [{ path: 'configmap-patch.yaml' }, { patch: 'apiVersion: v1\nkind: ConfigMap\n' }],
      patchesStrategicMerge: ['sm.yaml', 'apiVersion: v1\nkind: X\n'],
      configMapGenerator: [{ name: 'env', files: ['config.json', 'app.conf=files/app.conf'], envs: ['.env'] }],
      secretGenerator: [{ name: 's', env: 'secret.env' }],
    };
    assert.deepEqual(
      referencedPaths(k).sort(),
      [
        '../../base',
        '../../components/tracing',
        '../legacy',
        '.env',
        'config.json',
        'configmap-patch.yaml',
        'extra.yaml',
        'files/app.conf',
        'secret.env',
        'sm.yaml',
      ].sort(),
    );
  });

  it('returns nothing for a non-object', () => {
    assert.deepEqual(referencedPaths(null), []);
    assert.deepEqual(referencedPaths('resources: [a]'), []);
  });
});
