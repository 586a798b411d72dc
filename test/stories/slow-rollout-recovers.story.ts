/**
 * 1.44.0 rolled out cleanly and replaced every pod; minutes later its pods failed and, restarted,
 * hang at startup (no more ready/crash cycles that Kubernetes would count as progress). The
 * rollback brings back 1.42.0, whose pods need 25 s to become ready (a cold cache to warm),
 * longer than the Deployment's 20 s progress deadline: Kubernetes reports ProgressDeadlineExceeded
 * and Argo CD turns Degraded, then the pod becomes ready and everything recovers. rewind must wait
 * for that within its health timeout, not give up on the first Degraded. (dev runs one replica, so
 * the one new pod's slow start is the whole rollout.)
 */
import assert from 'node:assert/strict';
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

export const story: Story = {
  name: 'slow-rollout-recovers',
  title:
    'the rolled-back pods start slower than the progress deadline; rewind waits for the recovery instead of giving up',
  sources: [
    'sourcegraph/sourcegraph-public-snapshot#43873 (a rollout ' +
      'slow enough to fail the deploy check, that still completes)',
    'kubernetes/k8s.io#6706 (a Deployment that needs longer than its progressDeadlineSeconds to become ready)',
  ],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: '1.44.0 deadlocks under traffic and hangs when restarted',
      namespace: 'users-api-dev',
      image: 'ghcr.io/acme/users-api:1.44.0',
      crashAfterReadyMs: 1000,
      startDelayMs: 3_600_000,
      message: 'liveness probe failed: sessions store deadlocked (sessions/store.go:57)',
    },
    {
      name: '1.42.0 warms its cache for 25 s',
      namespace: 'users-api-dev',
      image: 'ghcr.io/acme/users-api:1.42.0',
      startDelayMs: 25_000,
      message: 'HTTP probe failed with statuscode: 503 (warming the user cache)',
    },
  ],
  setup: [],
  incident: [
    { do: 'promote', app: 'users-api', env: 'dev', tag: '1.44.0', save: 'promotion' },
    { do: 'refresh', app: 'users-api', env: 'dev' },
    { do: 'wait-applied', app: 'users-api', env: 'dev', commit: 'promotion' },
    { do: 'wait-available', app: 'users-api', env: 'dev', deployment: 'users-api', available: true },
    { do: 'faults' },
    { do: 'wait-available', app: 'users-api', env: 'dev', deployment: 'users-api', available: false },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'users-api',
      env: 'dev',
      as: 'alice',
      reason: 'sessions 5xx after 1.44.0',
      expect: {
        phase: 'restored',
        exit: 0,
        output: [
          /^Plan: revert [0-9a-f]{7} "promote users-api 1\.44\.0 to dev"/m,
          /^ {2}verify-health: done — Healthy for 8s/m,
          /^rewind\/users-api\/dev: restored$/m,
          /^Time to restore: \d+s$/m,
        ],
        absent: [/exceeded its progress deadline.*not restored/i],
        async check({ world, status }) {
          // The slow start outlived the progress deadline (20 s): the run waited through it.
          const restored = Date.parse(status.restoredAt!);
          const reverted = Date.parse(status.steps.find((s) => s.name === 'revert')!.endedAt!);
          assert.ok(
            restored - reverted >= 25_000,
            `restored ${(restored - reverted) / 1000}s after the revert: the pods needed 25 s`,
          );
          // Argo CD called the app Degraded in between (ProgressDeadlineExceeded), and rewind waited on.
          const degraded = (await world.events('argocd', 'users-api-dev')).filter(
            (e) =>
              /Updated health status: \w+ -> Degraded/.test(e.message) &&
              Date.parse(e.at) >= Math.floor(reverted / 1000) * 1000 &&
              Date.parse(e.at) <= restored,
          );
          assert.ok(
            degraded.length > 0,
            'Argo CD reported the app Degraded after the revert, before rewind said restored',
          );
          const d = await world.object('users-api', 'dev', 'deployment/users-api');
          assert.equal(d?.spec.template.spec.containers[0].image, 'ghcr.io/acme/users-api:1.42.0');
          assert.equal(d?.status.conditions.find((c: { type: string }) => c.type === 'Available')?.status, 'True');
        },
      },
    },
  ],
};
