/**
 * billing-worker 2.5.0 shipped with a Job that splits the ledger table and drops the old one; its
 * author wrote `Rollback-Contract: impossible` in the promotion's commit message, because 2.4.0
 * cannot read the new schema. Hours later the on-call asks for a rollback. A revert would put
 * 2.4.0 back on a schema it cannot read and make things worse: rewind must refuse at the plan,
 * before anyone approves, say why and where that was declared, and give the way forward.
 */
import assert from 'node:assert/strict';
import type { Story } from './story.js';

const DIR = 'apps/billing-worker/prod';
const MIGRATION = `apiVersion: batch/v1
kind: Job
metadata:
  name: billing-worker-migrate-2-5
  namespace: billing-worker-prod
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ghcr.io/acme/billing-worker:2.5.0
          command: ["/app/billing-worker", "db", "migrate", "--to", "2026_12_ledger_split"]
`;

export const story: Story = {
  name: 'one-way-migration',
  title:
    'the promotion ran a one-way migration and declares Rollback-Contract: impossible; ' +
    'the rollback is refused at the plan with the way forward, nothing changes',
  sources: [
    'argoproj/argo-cd#1927 ("how do people manage reverting the ' +
      'database migration" when rolling back past a PreSync migration hook)',
    'argoproj/argo-cd#6344 (automated rollback with DB schema changes)',
  ],
  setup: [],
  incident: [
    {
      do: 'commit',
      message:
        'promote billing-worker 2.5.0 to prod\n\nSplits the ledger table; the old table ' +
        'is dropped, 2.4.x cannot start on the new schema.\n\nRollback-Contract: impossible',
      save: 'promotion',
      files: {
        [`${DIR}/deployment.yaml`]: (text) =>
          text.replace('ghcr.io/acme/billing-worker:2.4.0', 'ghcr.io/acme/billing-worker:2.5.0'),
        [`${DIR}/migrate-job.yaml`]: () => MIGRATION,
      },
    },
    { do: 'refresh', app: 'billing-worker', env: 'prod' },
    { do: 'wait-applied', app: 'billing-worker', env: 'prod', commit: 'promotion' },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'billing-worker',
      env: 'prod',
      as: 'bob',
      reason: 'ledger totals look wrong after 2.5.0',
      expect: {
        phase: 'failed',
        exit: 1,
        output: [
          /^rewind\/billing-worker\/prod: failed$/m,
          (v) =>
            `promotion ${v.short('promotion')} "promote billing-worker 2.5.0 to prod" declares ` +
            `that it cannot be rolled back (Rollback-Contract: impossible, by the commit ` +
            `trailer Rollback-Contract), so rewind will not revert it; nothing was changed.`,
          (v) =>
            `rewind emergency billing-worker --env prod --change "<kind>/<name> ` +
            `<KEY>=<value>" --reason "roll forward from ${v.short('promotion')}"`,
        ],
        absent: [/Waiting for approval/],
        async check({ headBefore, headAfter, world, status }) {
          assert.equal(headAfter, headBefore, 'nothing pushed');
          assert.equal(status.approvals.length, 0, 'nobody was asked to approve');
          const ks = await world.engine('billing-worker', 'prod');
          assert.notEqual(ks.spec.suspend, true, 'Flux was never suspended');
          const d = await world.object('billing-worker', 'prod', 'deployment/billing-worker');
          assert.equal(d?.spec.template.spec.containers[0].image, 'ghcr.io/acme/billing-worker:2.5.0');
        },
      },
    },
  ],
};
