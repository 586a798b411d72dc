import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FieldPathError,
  formatFieldPath,
  getField,
  parseGitPath,
  patchLeaves,
} from '../../../src/lib/git/field-path.js';

describe('patch leaves', () => {
  it('walks strategic lists by name, and treats merge-patch lists as whole values', () => {
    const patch = {
      spec: {
        replicas: 3,
        template: {
          spec: { containers: [{ name: 'api', image: 'a:2', env: [{ name: 'X', value: '1' }] }, { name: 'sidecar' }] },
        },
      },
    };
    assert.deepEqual(
      patchLeaves(patch, 'strategic').map((l) => [formatFieldPath(l.path), l.value]),
      [
        ['spec.replicas', 3],
        ['spec.template.spec.containers[api].image', 'a:2'],
        ['spec.template.spec.containers[api].env[X].value', '1'],
        ['spec.template.spec.containers[sidecar].name', 'sidecar'],
      ],
    );
    assert.deepEqual(patchLeaves({ spec: { args: ['a', 'b'] }, data: { A: null } }, 'merge'), [
      { path: ['spec', 'args'], value: ['a', 'b'] },
      { path: ['data', 'A'], value: null },
    ]);
    assert.equal(patchLeaves({ spec: { containers: [{ name: 'a' }] } }, 'merge')[0]?.path.length, 2);
    assert.throws(() => patchLeaves({ spec: { $patch: 'replace' } }, 'strategic'), FieldPathError);
  });

  it('finds a field in a plain object, giving its JSON pointer', () => {
    const obj = {
      spec: { containers: [{ name: 'b' }, { name: 'a', env: [{ name: 'X', value: '1' }] }] },
      data: { 'a/b': 1 },
    };
    assert.deepEqual(getField(obj, ['spec', 'containers', { name: 'a' }, 'env', { name: 'X' }, 'value']), {
      found: true,
      value: '1',
      pointer: '/spec/containers/1/env/0/value',
    });
    assert.deepEqual(getField(obj, ['data', 'a/b']), { found: true, value: 1, pointer: '/data/a~1b' });
    assert.equal(getField(obj, ['spec', 'containers', { name: 'c' }]).found, false);
  });
});

describe('--git-path', () => {
  it('parses dotted keys, bracketed keys with dots and numeric indexes', () => {
    assert.deepEqual(parseGitPath('data.DB_HOST'), ['data', 'DB_HOST']);
    assert.deepEqual(parseGitPath('spec.template.spec.containers.0.image'), [
      'spec',
      'template',
      'spec',
      'containers',
      0,
      'image',
    ]);
    assert.deepEqual(parseGitPath('data[app.properties]'), ['data', 'app.properties']);
    assert.deepEqual(parseGitPath('containers[0].env.[x.y]'), ['containers', 0, 'env', 'x.y']);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '.', 'a.', '.a', 'a..b', 'a b', 'a/b', '$(x)', 'a[b', 'a[]', 'a[b c]', 'a]b']) {
      assert.throws(() => parseGitPath(bad), FieldPathError, JSON.stringify(bad));
    }
  });
});
