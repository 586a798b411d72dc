import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classifyChange, type FieldHistory } from '../../../activities/watch/classify.js';

const fixtures = JSON.parse(
  readFileSync(new URL('../../fixtures/watch/configmap-overwrites.json', import.meta.url), 'utf8'),
);

describe('classifyChange (versions recorded from real Argo CD and Flux)', () => {
  it('Argo CD: a kubectl-edit is a live edit, the next sync an overwrite of it', () => {
    const { synced, edited, overwritten } = fixtures.argo;
    const history: FieldHistory = new Map();
    const first = classifyChange({
      prev: synced,
      next: edited,
      engine: 'argocd',
      at: '2026-03-02T10:14:08.000Z',
      history,
    });
    assert.deepEqual(first.overwrites, []);
    assert.deepEqual(first.edits, [
      {
        at: '2026-03-02T10:14:08.000Z',
        object: 'configmap/users-api-env',
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'users-api-env',
        namespace: 'users-api-prod',
        path: '/data/DB_HOST',
        before: 'db-prod.internal',
        after: 'db-prod-2.internal',
        manager: 'kubectl-edit',
        operation: 'Update',
        resourceVersion: edited.metadata.resourceVersion,
      },
    ]);
    const second = classifyChange({
      prev: edited,
      next: overwritten,
      engine: 'argocd',
      at: '2026-03-02T10:30:00.000Z',
      history,
    });
    assert.deepEqual(second.edits, []);
    assert.deepEqual(second.overwrites, [
      {
        at: '2026-03-02T10:30:00.000Z',
        object: 'configmap/users-api-env',
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'users-api-env',
        namespace: 'users-api-prod',
        path: '/data/DB_HOST',
        liveBefore: 'db-prod-2.internal',
        git: 'db-prod.internal',
        origin: 'live-edit',
        editedBy: 'kubectl-edit',
        editedAt: '2026-03-02T10:14:08.000Z',
        syncManager: 'argocd-controller',
        resourceVersion: overwritten.metadata.resourceVersion,
      },
    ]);
  });

  it("without the edit in view, the previous version's managedFields still name the editor", () => {
    const { edited, overwritten } = fixtures.argo;
    const [o] = classifyChange({
      prev: edited,
      next: overwritten,
      engine: 'argocd',
      at: '2026-03-02T10:30:00.000Z',
      history: new Map(),
    }).overwrites;
    assert.equal(o?.origin, 'live-edit');
    assert.equal(o?.editedBy, 'kubectl-edit');
    assert.equal(
      o?.editedAt,
      edited.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl-edit').time,
    );
  });

  it('Flux: the managedFields-only re-own is nothing; the apply is the overwrite', () => {
    const { synced, edited, reowned, overwritten } = fixtures.flux;
    const history: FieldHistory = new Map();
    const at = (s: number) => `2026-03-02T10:00:0${s}.000Z`;
    assert.equal(
      classifyChange({ prev: synced, next: edited, engine: 'flux', at: at(1), history }).edits[0]?.manager,
      'kubectl-edit',
    );
    assert.deepEqual(classifyChange({ prev: edited, next: reowned, engine: 'flux', at: at(2), history }), {
      edits: [],
      overwrites: [],
    });
    const { overwrites } = classifyChange({ prev: reowned, next: overwritten, engine: 'flux', at: at(3), history });
    assert.deepEqual(
      overwrites.map((o) => [o.path, o.liveBefore, o.git, o.origin, o.editedBy, o.editedAt, o.syncManager]),
      [
        [
          '/data/QUEUE_URL',
          'amqp://mq-prod-2.internal',
          'amqp://mq-prod.internal',
          'live-edit',
          'kubectl-edit',
          at(1),
          'kustomize-controller',
        ],
      ],
    );
  });

  it('a sync over a value an earlier sync wrote is Git moving on (origin sync), not drift', () => {
    const { synced, overwritten } = fixtures.argo;
    const history: FieldHistory = new Map();
    const bumped = structuredClone(overwritten);
    bumped.data.LOG_LEVEL = 'warn';
    bumped.metadata.resourceVersion = '999';
    assert.equal(
      classifyChange({ prev: synced, next: overwritten, engine: 'argocd', at: 'x', history }).overwrites.length,
      0,
    );
    const [o] = classifyChange({ prev: overwritten, next: bumped, engine: 'argocd', at: 'y', history }).overwrites;
    assert.deepEqual([o?.path, o?.origin, o?.editedBy], ['/data/LOG_LEVEL', 'sync', undefined]);
  });

  it('a Secret edit is journaled without its value', () => {
    const secret = (v: string, manager: string, time: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'users-api-db',
        namespace: 'users-api-prod',
        resourceVersion: time,
        managedFields: [
          {
            manager,
            operation: 'Update',
            time,
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:data': { '.': {}, 'f:password': {} } },
          },
        ],
      },
      data: { password: Buffer.from(v).toString('base64') },
    });
    const { edits } = classifyChange({
      prev: secret('old-pass', 'argocd-controller', '1'),
      next: secret('new-pass', 'kubectl-edit', '2'),
      engine: 'argocd',
      at: 'z',
      history: new Map(),
    });
    assert.equal(edits.length, 1);
    assert.match(String(edits[0]!.before), /^\(secret value, sha256 [0-9a-f]{8}\)$/);
    assert.match(String(edits[0]!.after), /^\(secret value, sha256 [0-9a-f]{8}\)$/);
    assert.notEqual(edits[0]!.before, edits[0]!.after);
    assert.doesNotMatch(JSON.stringify(edits), /new-pass|old-pass|bmV3LXBhc3M|b2xkLXBhc3M/);
  });

  it("the engine's own writes to its object are neither edits nor overwrites; a person's are live edits", () => {
    const app = (selfHeal: boolean, manager: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'users-api-prod',
        namespace: 'argocd',
        resourceVersion: String(selfHeal),
        managedFields: [
          {
            manager,
            operation: 'Update',
            time: '2026-03-02T10:00:00Z',
            fieldsV1: { 'f:spec': { 'f:syncPolicy': { 'f:automated': { 'f:selfHeal': {} } } } },
          },
        ],
      },
      spec: { syncPolicy: { automated: { prune: true, selfHeal } } },
    });
    assert.deepEqual(
      classifyChange({
        prev: app(true, 'argocd-controller'),
        next: app(false, 'argocd-controller'),
        engine: 'argocd',
        engineObject: true,
        at: 'a',
        history: new Map(),
      }),
      { edits: [], overwrites: [] },
    );
    const { edits } = classifyChange({
      prev: app(true, 'argocd-controller'),
      next: app(false, 'kubectl-patch'),
      engine: 'argocd',
      engineObject: true,
      at: 'a',
      history: new Map(),
    });
    assert.deepEqual(
      edits.map((e) => [e.object, e.path, e.before, e.after, e.manager]),
      [['application/users-api-prod', '/spec/syncPolicy/automated/selfHeal', true, false, 'kubectl-patch']],
    );
  });
});
