/**
 * The message broker failed over to mq-prod-2. billing-worker reads QUEUE_URL from its ConfigMap
 * through envFrom; its consumers crashed once and now hang at startup, connecting to the old
 * broker: running, never ready, never crashing again, so they never re-read their environment.
 * Fixing the ConfigMap alone would reach them only when they restart. The emergency path patches
 * the ConfigMap, restarts the Deployment (and says why in its plan), commits the value to Git and
 * resumes Flux.
 */
import assert from 'node:assert/strict';
import { BASELINE_FAULTS } from './faults.js';
import type { Story } from './story.js';

const FILE = 'apps/billing-worker/prod/configmap.yaml';

export const story: Story = {
  name: 'stuck-until-restart',
  title:
    'consumers hang on the old broker after a failover; the ConfigMap ' +
    'fix reaches them only because the emergency path restarts them',
  sources: [
    'https://blog.algo-su.com/en/adr/permanent/026 (a crash-looping ' +
      'rollout recovered by patching the live Secret and a rollout restart)',
    'kubernetes/website#23732 and kubernetes/kubectl#56 (env from a ConfigMap is read at container start only)',
  ],
  faults: [
    ...BASELINE_FAULTS,
    {
      name: 'the broker failed over to mq-prod-2',
      namespace: 'billing-worker-prod',
      deployment: 'billing-worker',
      env: { name: 'QUEUE_URL', mustEqual: 'amqp://mq-prod-2.internal' },
      crashAfterReadyMs: 2000,
      startDelayMs: 3_600_000,
      message: 'AMQP connect to mq-prod.internal:5672 timed out; consumer waits for the broker',
    },
  ],
  setup: [{ do: 'remember-file', path: FILE, save: 'configmap-before' }],
  incident: [
    { do: 'faults' },
    { do: 'wait-available', app: 'billing-worker', env: 'prod', deployment: 'billing-worker', available: false },
  ],
  acts: [
    {
      do: 'emergency',
      app: 'billing-worker',
      env: 'prod',
      as: 'bob',
      approver: 'carol',
      reason: 'broker failed over to mq-prod-2',
      change: ['configmap/billing-worker-env QUEUE_URL=amqp://mq-prod-2.internal'],
      expect: {
        phase: 'restored',
        exit: 0,
        plan: [
          /^ {4}\/data\/QUEUE_URL: "amqp:\/\/mq-prod\.internal" → "amqp:\/\/mq-prod-2\.internal"$/m,
          /^ {2}deployment\/billing-worker \(container billing-worker\) reads QUEUE_URL through envFrom configmap\/billing-worker-env: running pods keep the old value until they restart$/m,
          /^ {2}rewind restarts deployment\/billing-worker right after the patch/m,
          `Git files it will edit: ${FILE}`,
        ],
        output: [/^rewind\/billing-worker\/prod: restored$/m],
        async check({ world, status, vars }) {
          assert.deepEqual(status.emergency?.restarts, ['deployment/billing-worker']);
          assert.equal(
            await world.gitFile(FILE),
            vars
              .get('configmap-before')
              .replace('QUEUE_URL: amqp://mq-prod.internal', 'QUEUE_URL: amqp://mq-prod-2.internal'),
            'only the value changed, the comment above it kept',
          );
          const ks = await world.engine('billing-worker', 'prod');
          assert.equal(ks.spec.suspend, false, 'Flux resumed');
          assert.equal(ks.status.lastAppliedRevision, `main@sha1:${status.commitSha}`);
          const d = await world.object('billing-worker', 'prod', 'deployment/billing-worker');
          assert.ok(d?.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], 'restarted');
          assert.equal(d?.status.availableReplicas, 2);
        },
      },
    },
  ],
};
