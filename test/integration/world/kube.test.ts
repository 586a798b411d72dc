import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startKube } from '../../../src/sandbox/world/kube.js';

function _alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('kube world', () => {
  it('starts, serves the Argo CD and Flux CRDs, and stops cleanly, twice in one process', async () => {
    for (let round = 0; round < 2; round++) {
      const dir = await mkdtemp(path.join(tmpdir(), 'rewind-kube-'));
      const world = await startKube({
        dir,
        tokenUsers: [{ token: 'tok-ci', user: 'ci-bot', uid: '42', groups: ['ci'] }],
      });
      try {
        const co = world.kc.makeApiClient(k8s.CustomObjectsApi);
        await world.kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: 'argocd' } } });
        const app = await co.createNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: 'argocd',
          plural: 'applications',
          body: {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            metadata: { name: 'demo' },
            spec: {
              project: 'default',
              source: { repoURL: 'file:///tmp/x.git', path: '.', targetRevision: 'HEAD' },
              destination: { server: 'https://kubernetes.default.svc', namespace: 'demo' },
            },
          },
        });
        assert.equal(app.metadata.name, 'demo');
        // The token user authenticates but holds no rights: RBAC is really enforced.
        const ci = world.configFor('ci-bot').makeApiClient(k8s.CoreV1Api);
        await assert.rejects(ci.listNamespace(), (err: { code?: number }) => err.code === 403);
        const ext = world.kc.makeApiClient(k8s.ApiextensionsV1Api);
        const crds = (await ext.listCustomResourceDefinition()).items.map((c) => c.metadata?.name).sort();
        assert.deepEqual(
          crds.filter((n) => n?.endsWith('argoproj.io')),
          ['applications.argoproj.io', 'appprojects.argoproj.io'],
        );
        assert.ok(crds.includes('kustomizations.kustomize.toolkit.fluxcd.io'));
      } finally {
        await world.stop();
        await rm(dir, { recursive: true, force: true });
      }
      const logs = await import('node:fs/promises').then((fs) => fs.readdir(world.logDir).catch(() => []));
      assert.ok(Array.isArray(logs));
    }
  });
});
