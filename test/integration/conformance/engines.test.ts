/**
 * Conformance on the real engines: what rewind relies on, graded by real Argo CD v3.6.1 and real
 * Flux v1.9.6 reconciling the world's config repo, with only workload status simulated. Each test
 * is one thing an earlier version got wrong or took for granted:
 * - the pause holds against real self-heal, and resume restores the exact policy (Argo's
 *   `automated.enabled` form included); `rewind pauses` reads both engines;
 * - the resume race: patched fields never flip back, watched by the test itself, on both engines;
 * - a restart made for a config-only change does not start a second rollout on resume;
 * - Flux: a live bad promotion reads as applied at the bad revision, and rewind's refresh fetches
 *   the source before the Kustomization reconciles (no reconcile at the stale artifact);
 * - Argo CD reports health transitions as Normal events: they count as detection;
 * - Argo's diff does not see an env var added live; rewind's gate still holds it in Git.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createGitOpsActivities } from '../../../activities/gitops/index.js';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { clustersFromConfig } from '../../../src/lib/kube/clusters.js';
import { listPauses } from '../../../src/lib/pauses.js';
import { abandonRun, decide, person, targetSnapshot } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { SANDBOX_FAULTS } from '../../../src/sandbox/world/world-config.js';
import { incidentTimelineDocument } from '../../../src/lib/timeline/build.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp, fluxKs, mergePatch } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { start, untilPhase, terminateRunning } from '../../support/world-runs.js';

let world: World;
const core = () => world.kube.kc.makeApiClient(k8s.CoreV1Api);
const apps = () => world.kube.kc.makeApiClient(k8s.AppsV1Api);
const custom = () => world.kube.kc.makeApiClient(k8s.CustomObjectsApi);

async function argoSettled(name: string) {
  return waitFor(
    `${name} Synced and Healthy`,
    async () => {
      const app = await argoApp(world.kube.kc, name);
      return app.status?.sync?.status === 'Synced' &&
        app.status.health?.status === 'Healthy' &&
        app.status.operationState?.phase !== 'Running'
        ? app
        : undefined;
    },
    120_000,
  );
}
async function fluxReady(name: string) {
  return waitFor(
    `${name} Ready`,
    async () => {
      const ks = await fluxKs(world.kube.kc, name);
      return ks.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? ks : undefined;
    },
    120_000,
  );
}

/**
 * Records every value a field of one object takes, from a watch of its own (every version the API
 * server hands out), so a flip back lasting a fraction of a second is seen too.
 */
async function recordField(
  path: string,
  name: string,
  pick: (o: Record<string, any>) => unknown,
): Promise<{ values: unknown[]; stop: () => void }> {
  const values: unknown[] = [];
  const ctrl = await new k8s.Watch(world.kube.kc).watch(
    path,
    { fieldSelector: `metadata.name=${name}` },
    (type, obj) => {
      if (type !== 'ADDED' && type !== 'MODIFIED') return;
      const v = pick(obj as Record<string, any>);
      if (!values.length || JSON.stringify(values.at(-1)) !== JSON.stringify(v)) values.push(v);
    },
    () => undefined,
  );
  return { values, stop: () => ctrl.abort() };
}

async function runEmergency(
  app: string,
  env: string,
  changeText: string,
  namespace: string,
  approver?: string,
): Promise<RunStatus> {
  const run = await start(world, {
    runbook: 'emergency-change',
    app,
    env,
    as: app === 'users-api' ? 'alice' : 'bob',
    reason: 'conformance',
    changes: [parseChange(changeText, namespace)],
  });
  if (approver) {
    await untilPhase(world, run.workflowId, 'awaiting-approval');
    await decide(world.rewind(), run.workflowId, { decision: 'approve', by: person(world.rewind().cfg, approver) });
  }
  return (await run.handle.result()) as RunStatus;
}

describe('conformance on real Argo CD and Flux', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', engines: 'real', health: { window: '3s', timeout: '120s' } });
    await world.startWorker();
    await Promise.all([
      ...['users-api-dev', 'users-api-staging', 'users-api-prod'].map(argoSettled),
      ...['billing-worker-dev', 'billing-worker-prod'].map(fluxReady),
    ]);
  });
  after(async () => {
    await world?.stop();
  });
  afterEach(async () => {
    await terminateRunning(world);
  });

  it(
    'pause and resume on both engines: the exact policy comes back ' +
      '(automated.enabled included) and `rewind pauses` lists both while paused',
    async () => {
      const argoPolicy = { enabled: true, prune: true, selfHeal: true };
      await custom().patchNamespacedCustomObject(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: 'argocd',
          plural: 'applications',
          name: 'users-api-dev',
          body: { spec: { syncPolicy: { automated: argoPolicy } } },
        },
        mergePatch,
      );
      const acts = createGitOpsActivities({ clusters: clustersFromConfig(world.config) });
      const cfg = world.config;
      const argo = targetSnapshot(cfg, 'users-api', 'dev'),
        flux = targetSnapshot(cfg, 'billing-worker', 'dev');
      const lease = (runId: string) => ({
        by: 'alice',
        reason: 'conformance',
        runId,
        pausedAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      const pausedArgo = await acts.pauseAutoSync({ target: argo, lease: lease('conf/argo') });
      const pausedFlux = await acts.pauseAutoSync({ target: flux, lease: lease('conf/flux') });
      assert.deepEqual(pausedArgo.policy, { engine: 'argocd', automated: argoPolicy });
      assert.deepEqual(pausedFlux.policy, { engine: 'flux', suspend: false });
      assert.deepEqual(
        (await acts.verifyPauseHeld({ target: argo, holdMs: 2000 })).held,
        true,
        'real Argo CD leaves the pause alone',
      );

      const rows = await listPauses(cfg, clustersFromConfig(cfg));
      assert.deepEqual(
        rows.map((r) => [r.app, r.env, r.engine, r.lease?.runId, r.flag]),
        [
          ['users-api', 'dev', 'argocd argocd/users-api-dev', 'conf/argo', undefined],
          ['billing-worker', 'dev', 'flux flux-system/billing-worker-dev', 'conf/flux', undefined],
        ],
      );

      await acts.resumeAutoSync({ target: argo, policy: pausedArgo.policy! });
      await acts.resumeAutoSync({ target: flux, policy: pausedFlux.policy! });
      const app = await argoApp(world.kube.kc, 'users-api-dev');
      assert.deepEqual(
        app.spec.syncPolicy?.automated,
        argoPolicy,
        'exactly the recorded policy, enabled: true included',
      );
      assert.equal(app.metadata.annotations?.['rewind.dev/pause-lease'], undefined);
      assert.equal((await fluxKs(world.kube.kc, 'billing-worker-dev')).spec.suspend, false);
      assert.deepEqual(await listPauses(cfg, clustersFromConfig(cfg)), []);
    },
  );

  it(
    'Argo CD: an emergency ConfigMap fix holds against real self-heal, never ' +
      'flips back through the resume, and its restart starts no second rollout',
    async () => {
      const watch = await recordField(
        '/api/v1/namespaces/users-api-staging/configmaps',
        'users-api-env',
        (o) => o.data?.DB_HOST,
      );
      try {
        const result = await runEmergency(
          'users-api',
          'staging',
          'configmap/users-api-env DB_HOST=db-staging-2.internal',
          'users-api-staging',
        );
        assert.equal(result.phase, 'restored', result.result);
        assert.deepEqual(
          watch.values,
          ['db-staging.internal', 'db-staging-2.internal'],
          "the live value never went back to Git's old one",
        );
        assert.deepEqual(result.emergency!.restarts, ['deployment/users-api']);
        assert.ok(
          result.emergency!.readers.some((r) =>
            r.startsWith(
              'deployment/users-api (container users-api) reads DB_HOST through envFrom configmap/users-api-env',
            ),
          ),
          result.emergency!.readers.join(' | '),
        );
        const generation = (
          await apps().readNamespacedDeployment({ namespace: 'users-api-staging', name: 'users-api' })
        ).metadata?.generation;
        await argoSettled('users-api-staging');
        await new Promise((r) => setTimeout(r, 8000)); // longer than Argo CD's 5 s self-heal timeout
        const d = await apps().readNamespacedDeployment({ namespace: 'users-api-staging', name: 'users-api' });
        assert.equal(
          d.metadata?.generation,
          generation,
          'self-heal did not undo the restart annotation: no second rollout',
        );
        assert.ok(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
      } finally {
        watch.stop();
      }
    },
  );

  it('Flux: an emergency fix holds while suspended and never flips back when the Kustomization resumes', async () => {
    const watch = await recordField(
      '/api/v1/namespaces/billing-worker-dev/configmaps',
      'billing-worker-env',
      (o) => o.data?.QUEUE_URL,
    );
    try {
      const result = await runEmergency(
        'billing-worker',
        'dev',
        'configmap/billing-worker-env QUEUE_URL=amqp://mq-dev-2.internal',
        'billing-worker-dev',
      );
      assert.equal(result.phase, 'restored', result.result);
      assert.deepEqual(watch.values, ['amqp://mq-dev.internal', 'amqp://mq-dev-2.internal']);
      const ks = await fluxReady('billing-worker-dev');
      assert.equal(ks.status?.lastAppliedRevision, `main@sha1:${result.commitSha}`);
    } finally {
      watch.stop();
    }
  });

  it(
    'Flux: a bad promotion reads as applied at the bad revision; the ' +
      'rollback fetches the source before the Kustomization reconciles',
    async () => {
      const bad = await world.repo.promote('billing-worker', 'prod', '2.5.0');
      await custom().patchNamespacedCustomObject(
        {
          group: 'source.toolkit.fluxcd.io',
          version: 'v1',
          namespace: 'flux-system',
          plural: 'gitrepositories',
          name: 'config-repo',
          body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': `bad-${Date.now()}` } } },
        },
        mergePatch,
      );
      const acts = createGitOpsActivities({ clusters: clustersFromConfig(world.config) });
      const target = targetSnapshot(world.config, 'billing-worker', 'prod');
      const state = await waitFor(
        'Flux applied the bad promotion and failed its health check',
        async () => {
          const s = await acts.engineState(target);
          return s.health === 'Degraded' && s.syncedRevision === `main@sha1:${bad.sha}` ? s : undefined;
        },
        120_000,
      );
      assert.equal(state.syncStatus, 'Synced', 'the live objects are those of the bad revision');
      assert.notEqual(
        (await fluxKs(world.kube.kc, 'billing-worker-prod')).status?.lastAppliedRevision,
        `main@sha1:${bad.sha}`,
        'Flux itself never calls it applied',
      );

      const run = await start(world, {
        app: 'billing-worker',
        env: 'prod',
        as: 'bob',
        reason: 'conformance: 2.5.0 crashes',
      });
      const waiting = await untilPhase(world, run.workflowId, 'awaiting-approval');
      assert.equal(waiting.plan!.engine.syncedRevision, `main@sha1:${bad.sha}`, 'the plan shows what is live');
      const approvedAt = new Date();
      await decide(world.rewind(), run.workflowId, { decision: 'approve', by: person(world.rewind().cfg, 'alice') });
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      // Flux's own record of its reconciles (status.history, one entry per revision with its last
      // reconcile time): after the approval it reconciled the revert only, never the stale bad artifact.
      const ks = (await fluxKs(world.kube.kc, 'billing-worker-prod')) as {
        status?: {
          history?: Array<{ metadata?: { revision?: string }; lastReconciled?: string; lastReconciledStatus?: string }>;
        };
      };
      const since = (ks.status?.history ?? []).filter(
        (h) => Date.parse(h.lastReconciled ?? '') >= approvedAt.getTime() - 1000,
      );
      assert.deepEqual(
        since.map((h) => h.metadata?.revision),
        [`main@sha1:${result.revertSha}`],
        JSON.stringify(ks.status?.history),
      );
      assert.equal(since[0]?.lastReconciledStatus, 'ReconciliationSucceeded');
    },
  );

  it(
    'Argo CD: a Normal "Updated health status: … -> ' + 'Degraded" event is the detection signal of the timeline',
    async () => {
      const bad = await world.repo.promote('users-api', 'dev', '1.43.0');
      await custom().patchNamespacedCustomObject(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: 'argocd',
          plural: 'applications',
          name: 'users-api-dev',
          body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
        },
        mergePatch,
      );
      const degraded = await waitFor(
        'Argo CD reports users-api-dev Degraded in an event',
        async () =>
          (await core().listNamespacedEvent({ namespace: 'argocd' })).items.find(
            (e) =>
              e.involvedObject.name === 'users-api-dev' &&
              e.type === 'Normal' &&
              /Updated health status: \w+ -> Degraded/.test(e.message ?? ''),
          ),
        120_000,
      );
      const run = await start(world, {
        app: 'users-api',
        env: 'dev',
        as: 'alice',
        reason: 'conformance: 1.43.0 crashes',
        incidentId: 'CONF-1',
      });
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      assert.equal(result.plan!.promotion.sha, bad.sha);
      const doc = await incidentTimelineDocument({ rw: world.rewind() }, 'CONF-1');
      const degradedAt = new Date(String(degraded.firstTimestamp ?? degraded.eventTime)).toISOString();
      // Argo CD's Normal event is marked as a signal, like the kubelet's Warnings; detection is the earliest of them.
      const entry = doc.events.find(
        (e) =>
          e.kind === 'kube-event' &&
          /Normal ResourceUpdated Application\/users-api-dev: Updated health status: \w+ -> Degraded/.test(e.summary),
      );
      assert.equal(
        entry?.severity,
        'warning',
        doc.events
          .filter((e) => e.kind === 'kube-event')
          .map((e) => e.summary)
          .join(' | '),
      );
      const detected = doc.phases.find((p) => p.key === 'detected');
      assert.ok(
        detected?.at && detected.at <= degradedAt,
        `detected ${detected?.at} (${detected?.basis}) is not before the degradation at ${degradedAt}`,
      );
      assert.doesNotMatch(detected.basis, /^no earlier signal/);
    },
  );

  it(
    'the pause stands watch: auto-sync turned back on by hand in ' +
      'the middle of an emergency run holds the run at once and says so',
    async () => {
      // Slow pods keep the run in verify-service long enough to break the pause under it.
      world.workloads.setFaults([
        ...SANDBOX_FAULTS,
        {
          name: 'slow start',
          namespace: 'users-api-staging',
          deployment: 'users-api',
          startDelayMs: 30_000,
          message: 'warming caches',
        },
      ]);
      try {
        const run = await start(world, {
          runbook: 'emergency-change',
          app: 'users-api',
          env: 'staging',
          as: 'alice',
          reason: 'conformance: guard',
          changes: [parseChange('configmap/users-api-env LOG_LEVEL=warn', 'users-api-staging')],
        });
        await waitFor(
          'verify-service running',
          async () => {
            const s = await world.rewind().client.workflow.getHandle(run.workflowId).query<RunStatus>('status');
            return s.steps.find((x) => x.name === 'verify-service')?.state === 'running' ? s : undefined;
          },
          120_000,
        );
        await custom().patchNamespacedCustomObject(
          {
            group: 'argoproj.io',
            version: 'v1alpha1',
            namespace: 'argocd',
            plural: 'applications',
            name: 'users-api-staging',
            body: { spec: { syncPolicy: { automated: { prune: true, selfHeal: true } } } },
          },
          mergePatch,
        );
        const held = await untilPhase(world, run.workflowId, 'held-paused', 120_000);
        assert.match(
          held.result!,
          /^The pause of users-api\/staging was broken during verify-service: auto-sync of users-api-staging was turned back on while rewind held it paused; self-heal may undo the live change\. Check the live change\. /,
        );
        assert.equal(held.steps.find((x) => x.name === 'verify-service')?.state, 'failed');
        await abandonRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'carol'), true);
        const result = (await run.handle.result()) as RunStatus;
        assert.equal(result.phase, 'abandoned', result.result);
      } finally {
        world.workloads.setFaults(SANDBOX_FAULTS);
      }
    },
  );

  it(
    'Argo CD: an env var added live is invisible to its diff (Synced ' +
      'while paused), and rewind still makes Git hold it before resuming',
    async () => {
      const result = await runEmergency('users-api', 'dev', 'deployment/users-api env FEATURE_X=on', 'users-api-dev');
      assert.equal(result.phase, 'restored', result.result);
      const d = await apps().readNamespacedDeployment({ namespace: 'users-api-dev', name: 'users-api' });
      assert.ok(
        d.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === 'FEATURE_X' && e.value === 'on'),
        'still live after the resume',
      );
      const files = [...new Set(result.emergency!.gitEdits.map((e) => e.file))];
      const text = await world.repo.show(files[0]!);
      assert.match(text, /FEATURE_X/);
      const app = await argoSettled('users-api-dev');
      assert.equal(app.status?.sync?.revision, result.commitSha);
    },
  );
});
