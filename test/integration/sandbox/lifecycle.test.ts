/**
 * Starting and stopping a world, the controller and the workload simulator repeatedly in one
 * process, as test files do: each round must reconcile for real, and stopping must leave no
 * timers or sockets behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { KubeRest } from '../../../src/lib/kube/rest.js';
import { startSandboxController } from '../../../src/sandbox/controller/index.js';
import { startWorkloadSimulator } from '../../../src/sandbox/workloads/index.js';
import { startKube } from '../../../src/sandbox/world/kube.js';
import { RepoHost, under, waitFor, workloadYaml } from './helpers.js';

type Obj = Record<string, any>;

/**
 * Open timers and sockets: Node's view of what keeps the loop alive, plus (on Linux) the socket
 * file descriptors, which also counts unref'd keep-alive sockets Node does not list.
 */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo())
    if (/Timeout|TCPSocketWrap|TCPServerWrap|TLSWrap/.test(r)) out[r] = (out[r] ?? 0) + 1;
  if (existsSync('/proc/self/fd')) {
    out['socket fds'] = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  }
  return out;
}

describe('sandbox controller lifecycle', () => {
  it(
    'starts and stops world + controller + workload simulator ' +
      'twice in one process, reconciling each time and leaking nothing',
    async () => {
      const baseline = handles();
      for (const round of [1, 2]) {
        const dir = await mkdtemp(path.join(tmpdir(), `rewind-life-${round}-`));
        const [world, repos] = await Promise.all([startKube({ dir: path.join(dir, 'kube') }), RepoHost.start()]);
        const rest = await KubeRest.create(world.kc);
        try {
          const repo = await repos.create('life', under('app', workloadYaml({ ns: 'life', image: `nginx:${round}` })));
          await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'argocd' } } });
          const beforeController = handles();
          const ctl = await startSandboxController({
            kc: world.kc,
            workDir: path.join(dir, 'ctl'),
            pollIntervalMs: 1000,
          });
          const workloads = await startWorkloadSimulator({ kc: world.kc, tickMs: 100, podStartMs: 200 });
          await rest.request('POST', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', {
            body: {
              apiVersion: 'argoproj.io/v1alpha1',
              kind: 'Application',
              metadata: { name: 'life', namespace: 'argocd' },
              spec: {
                project: 'default',
                source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
                destination: { namespace: 'life' },
                syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
              },
            },
          });
          const app = await waitFor(
            () => rest.request<Obj>('GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/life'),
            (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy',
            20_000,
            `round ${round}: Synced and Healthy`,
          );
          assert.equal(app.status.sync.revision, repo.first);
          const count = ctl.reconcileCount;
          assert.ok(count > 0);
          await ctl.stop();
          // stop() lets a tick already in progress finish (and count), then no more start.
          const stoppedAt = ctl.reconcileCount;
          assert.ok(stoppedAt <= count + 1, `stop() ran ${stoppedAt - count} ticks beyond the one in progress`);
          await ctl.stop(); // idempotent
          await assert.rejects(ctl.waitTicks(1), /stopped/);
          const ticks = workloads.tickCount;
          assert.ok(ticks > 0);
          await workloads.stop();
          await workloads.stop();
          await assert.rejects(workloads.waitTicks(1), /stopped/);
          await new Promise((r) => setTimeout(r, 500));
          assert.equal(ctl.reconcileCount, stoppedAt, 'no tick after stop');
          assert.ok(workloads.tickCount <= ticks + 1, 'no simulator tick after stop (beyond the one in progress)');
          // With the API server still up, a forgotten keep-alive socket or timer would still be open here.
          const afterController = handles();
          for (const [kind, n] of Object.entries(afterController)) {
            assert.ok(
              n <= (beforeController[kind] ?? 0),
              `${kind}: ${n} open after stop(), ${beforeController[kind] ?? 0} before ` +
                `start (${JSON.stringify(afterController)})`,
            );
          }
        } finally {
          rest.close();
          await repos.stop();
          await world.stop();
          await rm(dir, { recursive: true, force: true });
        }
      }
      // Give closed sockets one turn of the loop to be released.
      await new Promise((r) => setTimeout(r, 200));
      const now = handles();
      for (const [kind, n] of Object.entries(now))
        assert.ok(
          n <= (baseline[kind] ?? 0),
          `${kind}: ${n} open after stop, ${baseline[kind] ?? 0} before (${JSON.stringify(now)})`,
        );
    },
  );
});
