import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyJournal, record } from '../../../workflows/watch/target-watch.js';
import type { LiveEdit, ObserveResult, Overwrite } from '../../../workflows/watch/types.js';
import type { TargetSnapshot } from '../../../workflows/types.js';

const target = { app: 'users-api', env: 'prod' } as TargetSnapshot;
const edit = (i: number): LiveEdit => ({
  at: `t${i}`,
  object: 'configmap/a',
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: 'a',
  namespace: 'n',
  path: '/data/X',
  before: i - 1,
  after: i,
  manager: 'kubectl-edit',
  resourceVersion: String(i),
});
const overwrite = (i: number): Overwrite => ({
  at: `t${i}`,
  object: 'configmap/a',
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: 'a',
  namespace: 'n',
  path: '/data/X',
  liveBefore: i,
  git: 0,
  origin: 'live-edit',
  syncManager: 'argocd-controller',
  resourceVersion: String(i),
});
const result = (edits: LiveEdit[], overwrites: Overwrite[], baselineAt?: string): ObserveResult => ({
  cursor: { id: 'c', resourceVersions: {} },
  edits,
  overwrites,
  unwatched: ['Secret'],
  ...(baselineAt ? { baselineAt } : {}),
});

describe('journal', () => {
  it('keeps the newest 200 edits and 100 overwrites, oldest dropped first', () => {
    const j = emptyJournal(target, 'start');
    record(
      j,
      result(
        Array.from({ length: 150 }, (_, i) => edit(i)),
        Array.from({ length: 80 }, (_, i) => overwrite(i)),
        'b0',
      ),
      'n1',
    );
    record(
      j,
      result(
        Array.from({ length: 150 }, (_, i) => edit(150 + i)),
        Array.from({ length: 80 }, (_, i) => overwrite(80 + i)),
      ),
      'n2',
    );
    assert.equal(j.edits.length, 200);
    assert.equal(j.edits[0]!.resourceVersion, '100');
    assert.equal(j.edits.at(-1)!.resourceVersion, '299');
    assert.equal(j.overwrites.length, 100);
    assert.equal(j.overwrites[0]!.resourceVersion, '60');
    assert.deepEqual(
      [j.baselines, j.lastObservedAt, j.watchingSince, j.unwatched],
      [['b0'], 'n2', 'start', ['Secret']],
    );
  });
});
