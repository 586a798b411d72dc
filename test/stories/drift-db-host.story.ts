/**
 * The drift incident rewind exists for. prod runs Argo CD with self-heal off. The database primary
 * moved, so someone fixed DB_HOST in the live ConfigMap with `kubectl edit` and restarted the
 * Deployment; Git never heard of it. Days later a promotion of a healthy image syncs, the sync
 * puts Git's DB_HOST back, and the new pods crash a few seconds after becoming ready (their
 * readiness probe does not check the database). Rolling the image back cannot help: rewind must
 * say so, name the field and both values, and give the command that fixes it; the emergency path
 * then puts the value back live and in Git, and resumes the exact policy the team had.
 */
import assert from 'node:assert/strict';
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

const PATCH_FILE = 'apps/users-api/overlays/prod/configmap-patch.yaml';
const NEXT = 'rewind emergency users-api --env prod --change "configmap/users-api-env DB_HOST=db-prod-2.internal"';

export const story: Story = {
  name: 'drift-db-host',
  title:
    "a hand-fixed DB_HOST is overwritten by the next promotion's sync; rollback cannot help, the emergency path does",
  sources: ['https://dev.to/arthurpro/git-as-source-of-truth-is-a-property-not-a-slogan-5c4f'],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: 'the prod primary moved to db-prod-2',
      namespace: 'users-api-prod',
      deployment: 'users-api',
      env: { name: 'DB_HOST', mustEqual: 'db-prod-2.internal' },
      crashAfterReadyMs: 3500,
      message: 'panic: dial tcp db-prod.internal:5432: connect: connection refused',
    },
  ],
  setup: [
    { do: 'argo-policy', app: 'users-api', env: 'prod', automated: { prune: true, selfHeal: false } },
    {
      do: 'kubectl-edit',
      app: 'users-api',
      env: 'prod',
      object: 'configmap/users-api-env',
      patch: { data: { DB_HOST: 'db-prod-2.internal' } },
    },
    { do: 'rollout-restart', app: 'users-api', env: 'prod', deployment: 'users-api' },
    {
      do: 'wait-journal',
      app: 'users-api',
      env: 'prod',
      object: 'configmap/users-api-env',
      path: '/data/DB_HOST',
      kind: 'edit',
    },
    { do: 'wait-available', app: 'users-api', env: 'prod', deployment: 'users-api', available: true },
  ],
  incident: [
    { do: 'promote', app: 'users-api', env: 'prod', tag: '1.43.1', save: 'promotion' },
    { do: 'refresh', app: 'users-api', env: 'prod' },
    { do: 'wait-applied', app: 'users-api', env: 'prod', commit: 'promotion' },
    {
      do: 'wait-journal',
      app: 'users-api',
      env: 'prod',
      object: 'configmap/users-api-env',
      path: '/data/DB_HOST',
      kind: 'overwrite',
    },
    { do: 'wait-available', app: 'users-api', env: 'prod', deployment: 'users-api', available: false },
    { do: 'remember-file', path: PATCH_FILE, save: 'patch-before' },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'users-api',
      env: 'prod',
      as: 'alice',
      approver: 'bob',
      reason: '5xx after 1.43.1',
      expect: {
        phase: 'not-restored',
        exit: 2,
        plan: [
          /^Plan: revert [0-9a-f]{7} "promote users-api 1\.43\.1 to prod"/m,
          // The hand restart (kubectl rollout restart) is no drift the rollback could be missing.
          /^Drift: 0 real difference\(s\) between Git and live$/m,
          (v) =>
            new RegExp(
              `^Besides the promotion: The sync of ${v.short('promotion')} at .* overwrote a live ` +
                `edit of configmap/users-api-env /data/DB_HOST: live had "db-prod-2\\.internal" ` +
                `\\(set by kubectl-edit at [^)]+\\), Git has "db-prod\\.internal"\\.`,
              'm',
            ),
          `  next: ${NEXT}`,
          /^Warning: .*Reverting the promotion does not put that back: the regression may live in the environment, not in the image\./m,
        ],
        output: [
          /^rewind\/users-api\/prod: not-restored$/m,
          /^Not restored: the revert [0-9a-f]{7} is live but health did not return/m,
          'configmap/users-api-env /data/DB_HOST',
          'live had "db-prod-2.internal"',
          'Git has "db-prod.internal"',
          (v) => `The sync of ${v.short('promotion')}`,
          `Next: ${NEXT}`,
        ],
        absent: [/No drift between Git and live/],
      },
    },
    {
      do: 'emergency',
      app: 'users-api',
      env: 'prod',
      as: 'alice',
      approver: 'bob',
      reason: 'the primary moved to db-prod-2',
      change: ['configmap/users-api-env DB_HOST=db-prod-2.internal'],
      expect: {
        phase: 'restored',
        exit: 0,
        plan: [
          /^ {4}\/data\/DB_HOST: "db-prod\.internal" → "db-prod-2\.internal"$/m,
          /^ {2}deployment\/users-api \(container users-api\) reads DB_HOST through envFrom configmap\/users-api-env/m,
          `Git files it will edit: ${PATCH_FILE}`,
        ],
        output: [/^rewind\/users-api\/prod: restored$/m, /^Git commit: [0-9a-f]{40}$/m],
        async check({ vars, status, world }) {
          assert.deepEqual(
            status.emergency?.restarts,
            ['deployment/users-api'],
            'the plan restarts the Deployment that reads DB_HOST through envFrom',
          );
          const after = await world.gitFile(PATCH_FILE);
          assert.equal(
            after,
            vars.get('patch-before').replace('DB_HOST: db-prod.internal', 'DB_HOST: db-prod-2.internal'),
            'only the value changed: comments and layout byte for byte',
          );
          const app = await world.engine('users-api', 'prod');
          assert.deepEqual(
            app.spec.syncPolicy.automated,
            { prune: true, selfHeal: false },
            'exactly the policy the team had: self-heal off, prune on',
          );
          assert.equal(app.metadata.annotations?.['rewind.dev/pause-lease'], undefined, 'no lease left');
          assert.equal(app.status.sync.status, 'Synced');
          assert.equal(app.status.sync.revision, status.commitSha, 'Argo CD synced the emergency commit');
          assert.equal(app.status.health.status, 'Healthy');
          assert.equal(
            (await world.object('users-api', 'prod', 'configmap/users-api-env'))?.data?.DB_HOST,
            'db-prod-2.internal',
          );
        },
      },
    },
  ],
};
