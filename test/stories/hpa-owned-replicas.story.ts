/**
 * prod scales with an HPA, so its Argo CD Application ignores /spec/replicas and syncs with
 * RespectIgnoreDifferences (otherwise every sync puts Git's count back over the autoscaler's).
 * Under load the autoscaler has scaled to 5 when a bad image is promoted. The rollback must leave
 * the autoscaler's replicas alone, and its plan must not call them drift.
 */
import assert from 'node:assert/strict';
import type { Story } from './story.js';

export const story: Story = {
  name: 'hpa-owned-replicas',
  title: 'replicas owned by an HPA survive the rollback and are not counted as drift',
  sources: [
    'argoproj/argo-cd#3002 (Argo CD cannot tell an HPA scale from a manual one once /spec/replicas is ignored)',
    'argoproj/argo-cd#7820 (with ignoreDifferences alone, a sync still terminates the extra replicas)',
    'https://grokdatum.github.io/grokdevops-wiki/library/interview-scenarios/16-gitops-drift-detected',
  ],
  setup: [
    {
      do: 'argo-sync-options',
      app: 'users-api',
      env: 'prod',
      syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true'],
    },
    { do: 'hpa-scale', app: 'users-api', env: 'prod', deployment: 'users-api', replicas: 5 },
    { do: 'wait-available', app: 'users-api', env: 'prod', deployment: 'users-api', available: true },
  ],
  incident: [
    { do: 'promote', app: 'users-api', env: 'prod', tag: '1.43.0', save: 'promotion' },
    { do: 'refresh', app: 'users-api', env: 'prod' },
    { do: 'wait-applied', app: 'users-api', env: 'prod', commit: 'promotion' },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'users-api',
      env: 'prod',
      as: 'alice',
      approver: 'bob',
      reason: 'crash loop after 1.43.0',
      expect: {
        phase: 'restored',
        exit: 0,
        plan: [
          /^Plan: revert [0-9a-f]{7} "promote users-api 1\.43\.0 to prod"/m,
          /^Drift: 0 real difference\(s\) between Git and live, 1 allowed runtime field\(s\)$/m,
          /^Besides the promotion: nothing; the last sync overwrote no live edit rewind saw$/m,
        ],
        output: [/^rewind\/users-api\/prod: restored$/m],
        absent: [/replicas.*may not restore service/, /overwrote a live edit/],
        async check({ world, status }) {
          const d = await world.object('users-api', 'prod', 'deployment/users-api');
          assert.equal(d?.spec.replicas, 5, "the autoscaler's count survived the promotion's sync and the revert's");
          assert.equal(d?.spec.template.spec.containers[0].image, 'ghcr.io/acme/users-api:1.42.0');
          assert.equal(status.plan?.drift.real, 0);
          const app = await world.engine('users-api', 'prod');
          assert.deepEqual([app.status.sync.status, app.status.sync.revision], ['Synced', status.revertSha]);
        },
      },
    },
  ],
};
