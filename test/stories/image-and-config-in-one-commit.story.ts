/**
 * One release commit bumps the image and turns on a feature flag in the same ConfigMap change. The
 * new image crashes a few seconds after it becomes ready, and the old image cannot run with the
 * new flag either. The revert must take both back, and the plan must say before anything happens
 * that it undoes the config change too.
 */
import assert from 'node:assert/strict';
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

const OVERLAY = 'apps/users-api/overlays/staging';

export const story: Story = {
  name: 'image-and-config-in-one-commit',
  title: 'a bad image and a config change ship in one commit; the revert takes back both, and the plan says so',
  sources: [
    'pattern, no single public source; the opposite failure (a rollback that restores ' +
      'the image but not the config shipped with it) is devtron-labs/devtron#2273',
  ],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: '1.44.0 crashes under traffic',
      namespace: 'users-api-staging',
      image: 'ghcr.io/acme/users-api:1.44.0',
      crashAfterReadyMs: 3000,
      message: 'panic: runtime error: index out of range [3] with length 3 (checkout/cart.go:212)',
    },
    {
      name: '1.42.0 does not know the new-checkout flag',
      namespace: 'users-api-staging',
      image: 'ghcr.io/acme/users-api:1.42.0',
      env: { name: 'FEATURE_FLAGS', mustNotEqual: 'new-checkout' },
      message: 'fatal: unknown feature flag "new-checkout"',
    },
  ],
  setup: [],
  incident: [
    {
      do: 'commit',
      message: 'release users-api 1.44.0 to staging with the new checkout flag',
      save: 'release',
      files: {
        [`${OVERLAY}/kustomization.yaml`]: (text) => text.replace(/newTag: .*/, 'newTag: 1.44.0'),
        [`${OVERLAY}/configmap-patch.yaml`]: (text) => `${text}  FEATURE_FLAGS: new-checkout\n`,
      },
    },
    { do: 'refresh', app: 'users-api', env: 'staging' },
    { do: 'wait-applied', app: 'users-api', env: 'staging', commit: 'release' },
    { do: 'wait-available', app: 'users-api', env: 'staging', deployment: 'users-api', available: false },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'users-api',
      env: 'staging',
      as: 'carol',
      reason: 'checkout 5xx after 1.44.0',
      expect: {
        phase: 'restored',
        exit: 0,
        output: [
          /^Plan: revert [0-9a-f]{7} "release users-api 1\.44\.0 to staging with the new checkout flag"/m,
          '  image users-api: ghcr.io/acme/users-api:1.42.0 → ghcr.io/acme/users-api:1.44.0\n',
          /^ {2}config ConfigMap \S*users-api-env FEATURE_FLAGS: "" → "new-checkout"$/m,
          /^Warning: This promotion also changed config \(ConfigMap \S*users-api-env FEATURE_FLAGS: "" → "new-checkout"\): the revert undoes those changes too\.$/m,
          /^rewind\/users-api\/staging: restored$/m,
          /^Revert commit: [0-9a-f]{40}$/m,
        ],
        async check({ world, status }) {
          const cm = await world.object('users-api', 'staging', 'configmap/users-api-env');
          assert.equal(cm?.data?.FEATURE_FLAGS, '', 'the flag went back with the image');
          const d = await world.object('users-api', 'staging', 'deployment/users-api');
          assert.equal(d?.spec.template.spec.containers[0].image, 'ghcr.io/acme/users-api:1.42.0');
          assert.equal((await world.engine('users-api', 'staging')).status.sync.revision, status.revertSha);
        },
      },
    },
  ],
};
