import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchedObject, remainingFields } from '../../../src/lib/git/live-render-check.js';
import type { KubeObject } from '../../../src/lib/gitops/render.js';
import type { LiveChange } from '../../../workflows/types.js';

const dep = (containers: unknown[], extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'p', ...extra },
  spec: { template: { spec: { containers } } },
});
const change = (patch: Record<string, unknown>, patchType: 'merge' | 'strategic' = 'strategic'): LiveChange => ({
  object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'p', name: 'api' },
  patchType,
  patch,
});
const envPatch = (env: unknown[]) => ({ spec: { template: { spec: { containers: [{ name: 'api', env }] } } } });

describe('remainingFields', () => {
  it(
    'reports each patched field Git renders differently, by JSON ' +
      'pointer into live, ignoring unpatched ones and list order',
    () => {
      const live = dep(
        [
          { name: 'side', image: 's' },
          { name: 'api', image: 'a:2', env: [{ name: 'X', value: 'on' }] },
        ],
        { resourceVersion: '9' },
      );
      const c = change(envPatch([{ name: 'X', value: 'on' }]));
      assert.deepEqual(
        remainingFields(
          [
            dep([
              { name: 'api', image: 'a:1' },
              { name: 'side', image: 's' },
            ]),
          ],
          [c],
          [live],
        ),
        [
          {
            object: 'apps/Deployment/p/api',
            path: '/spec/template/spec/containers/1/env/0/value',
            desired: undefined,
            live: 'on',
          },
        ],
      );
      assert.deepEqual(
        remainingFields([dep([{ name: 'api', image: 'a:1', env: [{ name: 'X', value: 'on' }] }])], [c], [live]),
        [],
      );
    },
  );

  it('is as strict as the resume gate: a quantity Git writes differently still counts', () => {
    const c = change({
      spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '1024Mi' } } }] } } },
    });
    const r = remainingFields(
      [dep([{ name: 'api', resources: { limits: { memory: '1024Mi' } } }])],
      [c],
      [dep([{ name: 'api', resources: { limits: { memory: '1Gi' } } }])],
    );
    assert.equal(r.length, 1);
  });

  it('reports an object Git does not render at all', () => {
    assert.deepEqual(remainingFields([], [change({ spec: { replicas: 2 } })], [dep([])]), [
      { object: 'apps/Deployment/p/api', path: '', desired: null, live: 'Deployment/api' },
    ]);
  });
});

describe('patchedObject', () => {
  it('applies merge patches (null deletes, lists replace) and strategic patches (named items merge)', () => {
    const o = dep([{ name: 'api', image: 'a:1', env: [{ name: 'A', value: '1' }] }]);
    const merged = patchedObject(
      o,
      { metadata: { labels: { x: 'y' } }, spec: { template: { spec: { containers: [{ name: 'new' }] } } } },
      'merge',
    );
    assert.deepEqual((merged.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers, [
      { name: 'new' },
    ]);
    const strategic = patchedObject(
      o,
      envPatch([
        { name: 'B', value: '2' },
        { name: 'A', value: null },
      ]),
      'strategic',
    );
    assert.deepEqual((strategic.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers, [
      { name: 'api', image: 'a:1', env: [{ name: 'A' }, { name: 'B', value: '2' }] },
    ]);
    assert.deepEqual(
      o.spec,
      dep([{ name: 'api', image: 'a:1', env: [{ name: 'A', value: '1' }] }]).spec,
      'input untouched',
    );
  });
});
