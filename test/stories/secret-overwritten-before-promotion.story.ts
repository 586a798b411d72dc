/**
 * The same hand-rotated password as secret-rotated-by-hand, in the order Flux usually makes it
 * happen: its periodic re-apply (every interval, no new commit) put the old password back into the
 * Secret minutes after the edit, and nothing broke, because running pods keep the environment they
 * started with. Days later a promotion rolls the pods; they read the old password and crash. The
 * watch journaled the edit and the overwrite; the rollback plan must name them before anyone
 * approves a revert that cannot help. Here the approver reads the plan and rejects.
 */
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

const DIR = 'apps/billing-worker/prod';
const OLD = 'vault-2024-q3',
  NEW = 'rotated-2025-q1';
const b64 = (s: string) => Buffer.from(s).toString('base64');

export const story: Story = {
  name: 'secret-overwritten-before-promotion',
  title:
    "Flux's periodic re-apply put the old password back before the " +
    "promotion; the promotion's rollout exposes it and the plan must say so",
  sources: [
    'fluxcd/website#754 ("Why are kubectl edits rolled back by Flux?")',
    'https://dev.to/arthurpro/git-as-source-of-truth-is-a-property-not-a-slogan-5c4f ' +
      '(the drift surfaced only when a deploy rendered new pods)',
  ],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: 'the database only accepts the rotated password',
      namespace: 'billing-worker-prod',
      deployment: 'billing-worker',
      env: { name: 'DB_PASSWORD', mustEqual: NEW },
      crashAfterReadyMs: 2000,
      message: 'FATAL: password authentication failed for user "billing"',
    },
  ],
  setup: [
    {
      do: 'commit',
      message: 'billing-worker prod: database credentials from a Secret',
      save: 'secret',
      files: {
        [`${DIR}/secret.yaml`]: () =>
          `apiVersion: v1\nkind: Secret\nmetadata:\n  name: billing-worker-db\n` +
          `  namespace: billing-worker-prod\ntype: Opaque\ndata:\n  DB_PASSWORD: ${b64(OLD)}\n`,
        [`${DIR}/deployment.yaml`]: (text) =>
          text.replace(
            '                name: billing-worker-env\n',
            '                name: billing-worker-env\n' +
              '            - secretRef:\n                name: billing-worker-db\n',
          ),
      },
    },
    { do: 'refresh', app: 'billing-worker', env: 'prod' },
    { do: 'wait-applied', app: 'billing-worker', env: 'prod', commit: 'secret' },
    { do: 'wait-available', app: 'billing-worker', env: 'prod', deployment: 'billing-worker', available: true },
  ],
  incident: [
    { do: 'faults' },
    {
      do: 'kubectl-edit',
      app: 'billing-worker',
      env: 'prod',
      object: 'secret/billing-worker-db',
      patch: { data: { DB_PASSWORD: b64(NEW) } },
    },
    {
      do: 'wait-journal',
      app: 'billing-worker',
      env: 'prod',
      object: 'secret/billing-worker-db',
      path: '/data/DB_PASSWORD',
      kind: 'edit',
    },
    { do: 'wait-available', app: 'billing-worker', env: 'prod', deployment: 'billing-worker', available: true },
    { do: 'flux-reapply', app: 'billing-worker', env: 'prod' },
    {
      do: 'wait-journal',
      app: 'billing-worker',
      env: 'prod',
      object: 'secret/billing-worker-db',
      path: '/data/DB_PASSWORD',
      kind: 'overwrite',
    },
    { do: 'promote', app: 'billing-worker', env: 'prod', tag: '2.4.1', save: 'promotion' },
    { do: 'refresh', app: 'billing-worker', env: 'prod' },
    { do: 'wait-applied', app: 'billing-worker', env: 'prod', commit: 'promotion' },
    { do: 'wait-available', app: 'billing-worker', env: 'prod', deployment: 'billing-worker', available: false },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'billing-worker',
      env: 'prod',
      as: 'bob',
      approver: 'alice',
      decision: 'reject',
      reason: 'workers crash after 2.4.1',
      expect: {
        phase: 'rejected',
        exit: 1,
        plan: [
          /overwrote a live edit of secret\/billing-worker-db \/data\/DB_PASSWORD: live had "\(secret value, sha256 [0-9a-f]{8}\)" \(set by kubectl-edit at [^)]+\), Git has "\(secret value, sha256 [0-9a-f]{8}\)"/,
          /^Warning: .*Reverting the promotion does not put that back/m,
        ],
        absent: [OLD, NEW, b64(OLD), b64(NEW), /^Besides the promotion: nothing/m],
      },
    },
  ],
};
