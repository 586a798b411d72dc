import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  entryCovers,
  ownerOf,
  writerOf,
  type FieldsV1,
  type ManagedFieldsEntry,
} from '../../../activities/watch/managed-fields.js';

const fixtures = JSON.parse(
  readFileSync(new URL('../../fixtures/watch/configmap-overwrites.json', import.meta.url), 'utf8'),
);

/** A Deployment as Argo CD applied it, then `kubectl edit` added an env entry to one container. */
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'users-api',
    namespace: 'users-api-prod',
    managedFields: <ManagedFieldsEntry[]>[
      {
        manager: 'argocd-controller',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-03-02T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:replicas': {},
            'f:template': {
              'f:spec': {
                'f:containers': {
                  'k:{"name":"users-api"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:args': {},
                    'f:ports': {
                      '.': {},
                      'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
                    },
                  },
                },
              },
            },
          },
        },
      },
      {
        manager: 'kubectl-edit',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-03-02T10:14:07Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:template': {
              'f:spec': {
                'f:containers': {
                  'k:{"name":"users-api"}': {
                    'f:env': { '.': {}, 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                  },
                },
              },
            },
          },
        },
      },
      {
        manager: 'sandbox-workload-simulator',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2026-03-02T10:20:00Z',
        fieldsType: 'FieldsV1',
        subresource: 'status',
        fieldsV1: { 'f:status': { 'f:replicas': {} } },
      },
    ],
  },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          {
            name: 'users-api',
            image: 'ghcr.io/acme/users-api:1.42.0',
            args: ['--port', '8080'],
            env: [{ name: 'LOG_LEVEL', value: 'debug' }],
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          },
        ],
      },
    },
  },
};

describe('entryCovers', () => {
  const fields: FieldsV1 = { 'f:data': { '.': {}, 'f:DB_HOST': {} } };
  it('follows f: keys to the leaf', () => {
    assert.equal(entryCovers(fields, { data: { DB_HOST: 'x' } }, ['data', 'DB_HOST']), true);
    assert.equal(entryCovers(fields, { data: { LOG_LEVEL: 'x' } }, ['data', 'LOG_LEVEL']), false);
    assert.equal(entryCovers({}, {}, ['data']), false);
  });
  it('matches list elements by their k: key fields and treats {} as an atomic value', () => {
    const [argo, edit] = deployment.metadata.managedFields;
    const env = ['spec', 'template', 'spec', 'containers', '0', 'env', '0', 'value'];
    assert.equal(entryCovers(edit!.fieldsV1, deployment, env), true);
    assert.equal(entryCovers(argo!.fieldsV1, deployment, env), false);
    assert.equal(
      entryCovers(argo!.fieldsV1, deployment, ['spec', 'template', 'spec', 'containers', '0', 'image']),
      true,
    );
    assert.equal(
      entryCovers(argo!.fieldsV1, deployment, ['spec', 'template', 'spec', 'containers', '0', 'ports', '0', 'name']),
      true,
    );
    assert.equal(
      entryCovers(argo!.fieldsV1, deployment, ['spec', 'template', 'spec', 'containers', '0', 'args', '1']),
      true,
      'atomic list',
    );
  });
  it('matches v: set elements', () => {
    assert.equal(
      entryCovers({ 'f:finalizers': { 'v:"a"': {} } }, { finalizers: ['b', 'a'] }, ['finalizers', '1']),
      true,
    );
    assert.equal(
      entryCovers({ 'f:finalizers': { 'v:"a"': {} } }, { finalizers: ['b', 'a'] }, ['finalizers', '0']),
      false,
    );
  });
});

describe('writerOf (recorded from real Argo CD and Flux)', () => {
  it('names kubectl-edit for a hand edit and argocd-controller for the sync that overwrote it', () => {
    const { synced, edited, overwritten } = fixtures.argo;
    assert.deepEqual(writerOf(edited, ['data', 'DB_HOST'], synced), {
      manager: 'kubectl-edit',
      operation: 'Update',
      time: edited.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl-edit').time,
    });
    assert.equal(writerOf(overwritten, ['data', 'DB_HOST'], edited).manager, 'argocd-controller');
    assert.equal(
      ownerOf(edited, ['data', 'DB_HOST'])?.manager,
      'kubectl-edit',
      'the edited version still names the editor',
    );
  });
  it("names kustomize-controller (Apply) for Flux's overwrite", () => {
    const { edited, reowned, overwritten } = fixtures.flux;
    assert.equal(writerOf(edited, ['data', 'QUEUE_URL']).manager, 'kubectl-edit');
    assert.deepEqual(writerOf(overwritten, ['data', 'QUEUE_URL'], reowned), {
      manager: 'kustomize-controller',
      operation: 'Apply',
      time: overwritten.metadata.managedFields[0].time,
    });
  });
  it('for a field nobody owns any more, names the entry this write touched; status entries never count', () => {
    const prev = {
      metadata: {
        managedFields: [
          {
            manager: 'a',
            operation: 'Update',
            time: '2026-03-02T10:00:00Z',
            fieldsV1: { 'f:data': { 'f:X': {}, 'f:Y': {} } },
          },
        ],
      },
      data: { X: '1', Y: '2' },
    };
    const next = {
      metadata: {
        managedFields: [
          { manager: 'a', operation: 'Update', time: '2026-03-02T10:00:00Z', fieldsV1: { 'f:data': { 'f:Y': {} } } },
          {
            manager: 'sim',
            operation: 'Update',
            subresource: 'status',
            time: '2026-03-02T11:00:00Z',
            fieldsV1: { 'f:status': {} },
          },
          {
            manager: 'kubectl-edit',
            operation: 'Update',
            time: '2026-03-02T10:30:00Z',
            fieldsV1: { 'f:data': { 'f:Z': {} } },
          },
        ],
      },
      data: { Y: '2', Z: '3' },
    };
    assert.equal(writerOf(next, ['data', 'X'], prev).manager, 'kubectl-edit');
    assert.deepEqual(writerOf({ metadata: {} }, ['data', 'X'], { metadata: {} }), { manager: 'unknown' });
  });
  it('picks the newest of several appliers that co-own a field', () => {
    const obj = {
      metadata: {
        managedFields: [
          {
            manager: 'kustomize-controller',
            operation: 'Apply',
            time: '2026-03-02T10:00:00Z',
            fieldsV1: { 'f:data': { 'f:X': {} } },
          },
          {
            manager: 'platform-tool',
            operation: 'Apply',
            time: '2026-03-02T10:05:00Z',
            fieldsV1: { 'f:data': { 'f:X': {} } },
          },
        ],
      },
      data: { X: '1' },
    };
    assert.equal(ownerOf(obj, ['data', 'X'])?.manager, 'platform-tool');
  });
});

describe('granular maps owned as themselves', () => {
  it(
    '"f:data": {} left to a Secret\'s creator does not own ' +
      'a key someone else wrote (recorded from kube-apiserver)',
    () => {
      const next = {
        kind: 'Secret',
        metadata: {
          managedFields: [
            {
              manager: 'kubectl-create',
              operation: 'Update',
              time: '2026-12-01T04:23:16Z',
              fieldsType: 'FieldsV1',
              fieldsV1: { 'f:data': {}, 'f:type': {} },
            },
            {
              manager: 'kubectl-edit',
              operation: 'Update',
              time: '2026-12-01T04:23:16Z',
              fieldsType: 'FieldsV1',
              fieldsV1: { 'f:data': { 'f:password': {} } },
            },
          ],
        },
        data: { password: 'Yg==' },
      };
      assert.equal(ownerOf(next, ['data', 'password'])?.manager, 'kubectl-edit');
    },
  );
  it('an atomic value nobody owns parts of is owned whole', () => {
    const obj = {
      metadata: {
        managedFields: [
          {
            manager: 'argocd-controller',
            operation: 'Update',
            time: 't',
            fieldsV1: { 'f:spec': { 'f:selector': {} } },
          },
        ],
      },
      spec: { selector: { matchLabels: { app: 'a' } } },
    };
    assert.equal(ownerOf(obj, ['spec', 'selector', 'matchLabels', 'app'])?.manager, 'argocd-controller');
  });
});
