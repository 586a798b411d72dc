/**
 * The database password was rotated, and someone put the new one into the live Secret by hand
 * (`kubectl edit`) instead of into Git; the crash-looping workers picked it up and recovered.
 * Flux re-applies Git on every interval: its next reconcile, the one that applies the next
 * promotion, puts the old password back into the Secret and rolls the pods, which read it and
 * crash. Rolling back cannot help; rewind must name the Secret field that was overwritten, and
 * never print a value of it. (secret-overwritten-before-promotion is the variant where the
 * re-apply came first and the promotion only rolled the pods.)
 */
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

const DIR = 'apps/billing-worker/prod';
const OLD = 'vault-2024-q3',
  NEW = 'rotated-2025-q1';
const b64 = (s: string) => Buffer.from(s).toString('base64');

export const story: Story = {
  name: 'secret-rotated-by-hand',
  title:
    "a password rotated by hand in the live Secret is put back by Flux's periodic " +
    're-apply; the next rollout breaks and rewind names the Secret field without its value',
  sources: [
    'fluxcd/website#754 ("Why are kubectl edits rolled back by Flux?")',
    'https://www.donaldvu.com/projects/ase-projects/db-pw-rotation ' +
      "(a database credential rotation the app's secret did not follow)",
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
    { do: 'wait-available', app: 'billing-worker', env: 'prod', deployment: 'billing-worker', available: false },
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
    { do: 'promote', app: 'billing-worker', env: 'prod', tag: '2.4.1', save: 'promotion' },
    // Flux's interval reconcile, asked for now: it applies the promotion and re-applies the Secret from Git.
    { do: 'refresh', app: 'billing-worker', env: 'prod' },
    {
      do: 'wait-journal',
      app: 'billing-worker',
      env: 'prod',
      object: 'secret/billing-worker-db',
      path: '/data/DB_PASSWORD',
      kind: 'overwrite',
    },
    { do: 'wait-applied', app: 'billing-worker', env: 'prod', commit: 'promotion' },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'billing-worker',
      env: 'prod',
      as: 'bob',
      approver: 'alice',
      reason: 'workers crash after 2.4.1',
      expect: {
        phase: 'not-restored',
        exit: 2,
        plan: [
          /^Plan: revert [0-9a-f]{7} "promote billing-worker 2\.4\.1 to prod"/m,
          // The Namespace Flux applies from the same directory is no drift.
          /^Drift: 0 real difference\(s\) between Git and live$/m,
          (v) => new RegExp(`^Besides the promotion: The sync of ${v.short('promotion')} at .* overwrote`, 'm'),
          /overwrote a live edit of secret\/billing-worker-db \/data\/DB_PASSWORD: live had "\(secret value, sha256 [0-9a-f]{8}\)" \(set by kubectl-edit at [^)]+\), Git has "\(secret value, sha256 [0-9a-f]{8}\)"/,
          /^ {2}next: rewind emergency billing-worker --env prod --change "secret\/billing-worker-db \{…\}" --reason "…" +\(set \/data\/DB_PASSWORD back to its live value, which rewind does not record for Secrets\)$/m,
        ],
        output: [
          /^rewind\/billing-worker\/prod: not-restored$/m,
          'secret/billing-worker-db /data/DB_PASSWORD',
          /live had "\(secret value, sha256 [0-9a-f]{8}\)"/,
        ],
        absent: [OLD, NEW, b64(OLD), b64(NEW), /No drift between Git and live/, /Namespace/],
      },
    },
  ],
};
