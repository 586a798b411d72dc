/**
 * 1.44.0 broke prod; CI has since promoted 1.44.1 on top of it, on the same line of the same file.
 * The on-call asks to revert 1.44.0 specifically. The revert cannot apply: rewind must say so in
 * the plan, before anyone approves, name the later commit and the way out, and after an approval
 * anyway stop with nothing pushed.
 */
import assert from 'node:assert/strict';
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

export const story: Story = {
  name: 'revert-conflicts',
  title:
    'the promotion to revert has a later commit on the same line; the ' +
    'plan warns before approval and the run stops with nothing pushed',
  sources: [
    'pattern, no single public source; the git behaviour is the one in Automattic/wp-calypso#44022 ' +
      '(a revert that could not be applied directly because later commits changed the same lines)',
  ],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: '1.44.x crash at start',
      namespace: 'users-api-prod',
      image: 'ghcr.io/acme/users-api:1.44.1',
      message: 'panic: migration 0042 not applied',
    },
  ],
  setup: [],
  incident: [
    { do: 'promote', app: 'users-api', env: 'prod', tag: '1.44.0', save: 'bad' },
    { do: 'promote', app: 'users-api', env: 'prod', tag: '1.44.1', save: 'later' },
    { do: 'refresh', app: 'users-api', env: 'prod' },
    { do: 'wait-applied', app: 'users-api', env: 'prod', commit: 'later' },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'users-api',
      env: 'prod',
      as: 'alice',
      approver: 'bob',
      to: 'bad',
      reason: 'revert 1.44.0, it started this',
      expect: {
        phase: 'failed',
        exit: 1,
        plan: [
          (v) =>
            `Warning: Reverting ${v.short('bad')} will conflict in apps/users-api/overlays/prod/kustomization.yaml ` +
            `with later change(s): ${v.short('later')} "promote users-api 1.44.1 to prod" ` +
            `(ci-bot): after approval it would stop with nothing pushed. Reject this ` +
            `run and revert by hand, or roll back the later change first (--to <sha>).`,
        ],
        output: [/^rewind\/users-api\/prod: failed$/m, /conflict/i, 'apps/users-api/overlays/prod/kustomization.yaml'],
        async check({ headBefore, headAfter, world }) {
          assert.equal(headAfter, headBefore, 'nothing pushed');
          const d = await world.object('users-api', 'prod', 'deployment/users-api');
          assert.equal(
            d?.spec.template.spec.containers[0].image,
            'ghcr.io/acme/users-api:1.44.1',
            'nothing changed live',
          );
        },
      },
    },
  ],
};
