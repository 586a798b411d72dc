import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { objectKey, renderManifests, RenderError, sourceTypeOf } from '../../../src/lib/gitops/render.js';

describe('renderManifests', () => {
  let dir: string;
  const write = async (p: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await writeFile(path.join(dir, p), text);
  };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-render-'));
    await write(
      'plain/b.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\n---\n' +
        '# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n',
    );
    await write('plain/a.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }));
    await write('plain/sub/c.yml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: c\n  namespace: x\n');
    await write('plain/README.md', '# not a manifest\n');
    await write('kust/base/kustomization.yaml', 'resources:\n  - cm.yaml\n');
    await write(
      'kust/base/cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  DB_HOST: db.internal\n',
    );
    await write(
      'kust/overlay/kustomization.yaml',
      'namespace: users-api-dev\nresources:\n  - ../base\npatches:\n  - patch: |\n      - op: replace\n' +
        '        path: /data/DB_HOST\n        value: db-dev.internal\n    target:\n      kind: ConfigMap\n',
    );
    await write('broken/kustomization.yaml', 'resources:\n  - missing.yaml\n');
    await write('bad/x.yaml', 'apiVersion: v1\nkind: ConfigMap\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads a plain directory recursively, sorted, multi-document, skipping empty documents', async () => {
    const objs = await renderManifests(dir, 'plain');
    assert.deepEqual(objs.map(objectKey), ['/ConfigMap//a', '/ConfigMap//b', '/Service//s', 'apps/Deployment/x/c']);
    assert.equal(await sourceTypeOf(dir, 'plain'), 'Directory');
  });

  it('runs the real kustomize build when the path has a kustomization', async () => {
    const objs = await renderManifests(dir, 'kust/overlay');
    assert.deepEqual(objs, [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'env', namespace: 'users-api-dev' },
        data: { DB_HOST: 'db-dev.internal' },
      },
    ]);
    assert.equal(await sourceTypeOf(dir, 'kust/overlay'), 'Kustomize');
  });

  it('names the path and the tool output when kustomize fails', async () => {
    await assert.rejects(
      renderManifests(dir, 'broken'),
      (err: Error) =>
        err instanceof RenderError &&
        err.relPath === 'broken' &&
        /kustomize build broken failed/.test(err.message) &&
        /missing\.yaml/.test(err.toolOutput ?? ''),
    );
  });

  it('refuses objects without a name, paths outside the tree and missing paths', async () => {
    await assert.rejects(
      renderManifests(dir, 'bad'),
      /bad\/x\.yaml: an object lacks apiVersion, kind or metadata\.name/,
    );
    await assert.rejects(renderManifests(dir, '../etc'), /points outside the repository/);
    await assert.rejects(renderManifests(dir, 'nope'), /app path nope does not exist/);
  });
});
