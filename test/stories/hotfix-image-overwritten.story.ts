/**
 * A crash in the running release was hot-patched live with `kubectl set image` to a hotfix build
 * (self-heal is off in staging, so Argo CD let it stand). The hotfix never reached Git. The next
 * promotion, built from a branch without the fix, syncs and overwrites the hotfix image. Reverting
 * that promotion brings back the release the hotfix had replaced, which crashes too. rewind must
 * say that the sync overwrote a live image and give the command that puts the hotfix back.
 */
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

const HOTFIX = 'ghcr.io/acme/users-api:1.42.1-hotfix';
const CRASH = 'panic: runtime error: invalid memory address or nil pointer dereference (login/session.go:88)';

export const story: Story = {
  name: 'hotfix-image-overwritten',
  title:
    'a hotfix image set live with kubectl is overwritten by the next ' +
    "promotion's sync; rollback cannot help and rewind names the hotfix image",
  sources: [
    "https://earezki.com/books/ship-it-and-sleep/ch21/ (a `kubectl set image` fix that Argo CD's next sync replaced)",
  ],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: 'the login bug in 1.42.0',
      namespace: 'users-api-staging',
      image: 'ghcr.io/acme/users-api:1.42.0',
      crashAfterReadyMs: 3000,
      message: CRASH,
    },
    {
      name: 'the login bug in 1.43.1 (built without the hotfix)',
      namespace: 'users-api-staging',
      image: 'ghcr.io/acme/users-api:1.43.1',
      crashAfterReadyMs: 3000,
      message: CRASH,
    },
  ],
  setup: [{ do: 'argo-policy', app: 'users-api', env: 'staging', automated: { prune: true, selfHeal: false } }],
  incident: [
    { do: 'faults' },
    {
      do: 'kubectl-set-image',
      app: 'users-api',
      env: 'staging',
      deployment: 'users-api',
      container: 'users-api',
      image: HOTFIX,
    },
    {
      do: 'wait-journal',
      app: 'users-api',
      env: 'staging',
      object: 'deployment/users-api',
      path: '/spec/template/spec/containers/0/image',
      kind: 'edit',
    },
    { do: 'wait-available', app: 'users-api', env: 'staging', deployment: 'users-api', available: true },
    { do: 'promote', app: 'users-api', env: 'staging', tag: '1.43.1', save: 'promotion' },
    { do: 'refresh', app: 'users-api', env: 'staging' },
    { do: 'wait-applied', app: 'users-api', env: 'staging', commit: 'promotion' },
    {
      do: 'wait-journal',
      app: 'users-api',
      env: 'staging',
      object: 'deployment/users-api',
      path: '/spec/template/spec/containers/0/image',
      kind: 'overwrite',
    },
    { do: 'wait-available', app: 'users-api', env: 'staging', deployment: 'users-api', available: false },
  ],
  acts: [
    {
      do: 'rollback',
      app: 'users-api',
      env: 'staging',
      as: 'alice',
      reason: 'login 5xx after 1.43.1',
      expect: {
        phase: 'not-restored',
        exit: 2,
        output: [
          /^Plan: revert [0-9a-f]{7} "promote users-api 1\.43\.1 to staging"/m,
          (v) =>
            new RegExp(
              `^Besides the promotion: The sync of ${v.short('promotion')} at .* overwrote ` +
                `a live edit of deployment/users-api /spec/template/spec/containers/0/image: ` +
                `live had "ghcr\\.io/acme/users-api:1\\.42\\.1-hotfix" \\(set by ` +
                `kubectl-set at [^)]+\\), Git has "ghcr\\.io/acme/users-api:1\\.43\\.1"\\.`,
              'm',
            ),
          /^rewind\/users-api\/staging: not-restored$/m,
          `Next: rewind emergency users-api --env staging --change "deployment/users-api image=${HOTFIX}"`,
        ],
        absent: [/No drift between Git and live/],
      },
    },
  ],
};
