/**
 * The promotion watch on the real world: real Argo CD syncing the sandbox's drill-target
 * environments (users-api dev and staging), the workload simulator serving request metrics, a
 * real Prometheus scraping them, the real Bolt app over signed HTTP, the Temporal dev server.
 * A "bad but not crashing" promotion (users-api 1.46.0 answers 4.2% of requests with 500 while
 * its pods stay ready) is caught only by a PromQL query; it is offered for rollback in Slack, or,
 * where autoRollback is committed in rewind.yaml, reverted and restored with no person involved.
 * Each guard has its own test: a revert does not trigger, a newer promotion drops the older
 * verdict, the cooldown, a held target.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parse, stringify } from 'yaml';
import { createVerificationActivities } from '../../../activities/verification/index.js';
import { parseConfig } from '../../../src/lib/config/load.js';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import { clustersFromConfig } from '../../../src/lib/kube/clusters.js';
import { restFor } from '../../../src/lib/kube/rest-pool.js';
import { cancelRun, person, runStatus, startRun, targetSnapshot, type Rewind } from '../../../src/lib/runs.js';
import { ROLLBACK_PROMOTION_ACTION } from '../../../src/lib/slack-messages/promotion-message.js';
import { errorRateCheck } from '../../../src/sandbox/world/world-config.js';
import type { World } from '../../../src/sandbox/world/index.js';
import { runTimelineDocument } from '../../../src/lib/timeline/index.js';
import { ensureTargetWatches } from '../../../src/lib/watch/target-watches.js';
import { timelineQuery } from '../../../workflows/messages.js';
import type { CheckVerdict, VerificationCheck } from '../../../workflows/verification/types.js';
import { promotionsQuery } from '../../../workflows/watch/messages.js';
import type { PromotionVerification } from '../../../workflows/watch/promotion-types.js';
import { watchWorkflowId } from '../../../workflows/watch/types.js';
import { argoApp, deploymentImage } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, untilPhase } from '../../support/world-runs.js';
import { startBoltHarness, type BoltHarness } from '../slack/bolt-harness.js';
import { runsOf } from '../slack/world-checks.js';

let h: BoltHarness;
let world: World;
const started = Date.now();

type Doc = { apps: Record<string, { environments: Record<string, Record<string, unknown>> }> };

/** rewind.yaml of the world with changes: 5 s windows, and whatever the test commits to. */
function variant(change: (doc: Doc) => void = () => undefined): RewindConfig {
  const doc = parse(world.configText) as Doc;
  for (const env of ['dev', 'staging'])
    doc.apps['users-api']!.environments[env]!.verification = [errorRateCheck(env, { for: '5s', range: '5s' })];
  doc.apps['users-api']!.environments.dev!.autoRollback = { when: ['error-rate'], cooldown: '30m' };
  change(doc);
  return parseConfig(stringify(doc), 'promotion-watch rewind.yaml');
}

const rw = (cfg: RewindConfig): Rewind => ({ ...world.rewind(), cfg });

async function refresh(app: string): Promise<void> {
  await (await restFor(world.kube.kc)).mergePatch(`/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${app}`, {
    metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } },
  });
}

async function promote(env: 'dev' | 'staging', tag: string) {
  const p = await world.repo.promote('users-api', env, tag);
  await refresh(`users-api-${env}`);
  return p;
}

async function verifications(env: string): Promise<PromotionVerification[]> {
  return (await world.rewind().client.workflow.getHandle(watchWorkflowId('users-api', env)).query(promotionsQuery))
    .verifications;
}

async function verificationOf(
  env: string,
  revision: string,
  what: string,
  ok: (v: PromotionVerification) => boolean,
  timeoutMs = 180_000,
): Promise<PromotionVerification> {
  return waitFor(
    `users-api/${env} verification of ${revision.slice(0, 7)}: ${what}`,
    async () => {
      const v = (await verifications(env)).find((x) => x.revision === revision);
      return v && ok(v) ? v : undefined;
    },
    timeoutMs,
    500,
  );
}

const postsAbout = (sha: string) =>
  world.slack.messages('C_USERS_API').filter((m) => m.text?.includes(`after promotion ${sha.slice(0, 7)}`));

async function synced(app: string, sha: string): Promise<void> {
  await waitFor(
    `${app} Synced and Healthy at ${sha.slice(0, 7)}`,
    async () => {
      const a = await argoApp(world.kube.kc, app);
      return (
        a.status?.sync?.revision === sha &&
        a.status.sync.status === 'Synced' &&
        a.status.health?.status === 'Healthy' &&
        a.status.operationState?.phase === 'Succeeded'
      );
    },
    180_000,
    500,
  );
}

describe('promotion watch', () => {
  before(async () => {
    h = await startBoltHarness({ temporal: 'dev', prometheus: true, health: { window: '2s', timeout: '90s' } });
    world = h.world;
    await ensureTargetWatches(rw(variant()));
    // Promotions count from the revision each watch saw first.
    for (const env of ['dev', 'staging']) {
      await waitFor(
        `users-api/${env} watch knows the synced revision`,
        async () =>
          (await world.rewind().client.workflow.getHandle(watchWorkflowId('users-api', env)).query(promotionsQuery))
            .syncedRevision,
        240_000,
        1000,
      );
    }
  });
  after(async () => {
    await h?.stop();
    console.log(`# promotion-watch tests: ${Math.round((Date.now() - started) / 1000)}s including the world`);
  });

  it(
    'a bad promotion to users-api/staging is caught by a real Prometheus ' +
      'query with its pods healthy, and offered for rollback in Slack',
    async () => {
      const p = await promote('staging', '1.46.0');
      const v = await verificationOf(
        'staging',
        p.sha,
        'failed and posted',
        (x) => x.state === 'failed' && !!x.slackMessage,
      );
      // Not crashing: Argo CD and the Deployment are Healthy at the bad promotion; only the metric tells.
      await synced('users-api-staging', p.sha);
      assert.equal(
        await deploymentImage(world.kube.kc, 'users-api-staging', 'users-api'),
        'ghcr.io/acme/users-api:1.46.0',
      );
      const verdict = v.verdicts.find((x) => x.name === 'error-rate')!;
      assert.deepEqual([verdict.passed, verdict.reason], [false, 'breached']);
      assert.ok(verdict.value! > 0.03 && verdict.value! < 0.045, `the 5xx share Prometheus computed: ${verdict.value}`);
      assert.equal(v.detectedAt, verdict.at);
      assert.deepEqual([v.change?.kind, v.change?.sha, v.action?.kind], ['promotion', p.sha, 'offered']);

      const [msg, ...more] = postsAbout(p.sha);
      assert.equal(more.length, 0, 'one message per verdict');
      assert.match(
        msg!.text!,
        new RegExp(
          `^users-api/staging degraded after promotion ${p.sha.slice(0, 7)} \\(error ` +
            `rate \\d(\\.\\d+)?% > 1% for 5s\\)$`,
        ),
      );
      const button = JSON.stringify(msg!.blocks);
      assert.ok(
        button.includes(`"action_id":"${ROLLBACK_PROMOTION_ACTION}"`) &&
          button.includes(`"value":"rewind-watch/users-api/staging#${p.sha}"`),
        button,
      );

      // A person who is not an owner is refused, and nothing starts.
      const before = await runsOf(world, 'rewind/users-api/staging');
      const refused = await h.click(
        ROLLBACK_PROMOTION_ACTION,
        `rewind-watch/users-api/staging#${p.sha}`,
        'U_MALLORY',
        msg!,
      );
      assert.match(refused.text ?? '', /mallory is not an owner of users-api; owners: alice, carol/);
      assert.equal(await runsOf(world, 'rewind/users-api/staging'), before);

      // An owner's click starts the rollback with the promotion filled in.
      const ok = await h.click(ROLLBACK_PROMOTION_ACTION, `rewind-watch/users-api/staging#${p.sha}`, 'U_ALICE', msg!);
      assert.match(
        ok.text ?? '',
        new RegExp(
          `Started run \`rewind/users-api/staging\` to roll back \`${p.sha.slice(0, 7)}\` of \\*users-api/staging\\*`,
        ),
      );
      const planned = await waitFor(
        'the plan',
        async () => {
          const s = await runStatus(world.rewind(), 'rewind/users-api/staging');
          return s.plan ? s : undefined;
        },
        120_000,
      );
      assert.equal(planned.plan!.promotion.sha, p.sha);
      assert.equal(planned.requester, 'alice');
      assert.match(planned.reason, /^users-api\/staging degraded after promotion/);
      const done = await untilPhase(world, 'rewind/users-api/staging', 'restored', 240_000);
      const timeline = await world
        .rewind()
        .client.workflow.getHandle('rewind/users-api/staging', done.runId)
        .query(timelineQuery);
      const alert = timeline.find((e) => e.kind === 'alert');
      assert.deepEqual([alert?.at, alert?.actor], [v.detectedAt, 'rewind promotion watch']);

      // Guard: the revert that restored it syncs too, and is never verified nor rolled back again.
      const revert = await verificationOf('staging', done.revertSha!, 'skipped', (x) => x.state === 'skipped');
      assert.equal(revert.change?.kind, 'rewind');
      assert.equal(postsAbout(done.revertSha!).length, 0);
    },
  );

  it('guard: a revert a person pushes is not verified', async () => {
    const last = (await gitLog(world, 1))[0]!;
    const text = (await world.repo.show('apps/users-api/overlays/staging/kustomization.yaml')).replace(
      /newTag: .*/,
      'newTag: 1.41.0',
    );
    const sha = await world.repo.commit(
      { 'apps/users-api/overlays/staging/kustomization.yaml': text },
      `Revert "promote users-api 1.42.0 to staging"\n\n` +
        `This reverts an older promotion by hand (after ${last.sha.slice(0, 7)}).`,
    );
    await refresh('users-api-staging');
    const v = await verificationOf('staging', sha, 'skipped', (x) => x.state === 'skipped');
    assert.equal(v.change?.kind, 'revert');
    assert.match(v.message ?? '', /a revert .*not verified, never rolled back again/);
  });

  it('guard: a newer promotion drops the verdict on the older one', async () => {
    const bad = await promote('staging', '1.46.0');
    await verificationOf('staging', bad.sha, 'verifying', (x) => x.state === 'verifying' || x.state === 'failed');
    const good = await promote('staging', '1.47.0');
    const older = await verificationOf('staging', bad.sha, 'superseded', (x) => x.state === 'superseded');
    assert.match(older.message ?? '', /superseded|verdict dropped/);
    const newer = await verificationOf('staging', good.sha, 'verified', (x) => x.state === 'verified');
    assert.match(newer.message ?? '', /error rate 0% held ≤ 1% for 5s/);
    assert.equal(postsAbout(bad.sha).length, 0, 'nothing posted about the superseded promotion');
  });

  it(
    'with autoRollback, users-api/dev is reverted and restored with no person ' +
      'involved; the run and the timeline say which trigger fired and when',
    async () => {
      const p = await promote('dev', '1.46.0');
      const v = await verificationOf(
        'dev',
        p.sha,
        'rolled back automatically',
        (x) => x.action?.kind === 'auto-rollback',
      );
      const done = await untilPhase(world, 'rewind/users-api/dev', 'restored', 240_000);
      assert.equal(done.requester, 'rewind-auto');
      assert.equal(done.approvals.length, 0, 'nobody approved');
      assert.match(
        done.steps.find((s) => s.kind === 'approve')!.summary!,
        /^approval waived by the autoRollback policy of users-api\/dev \(committed in rewind\.yaml\): error-rate failed at /,
      );
      const fired = v.verdicts.find((x) => x.name === 'error-rate')!;
      assert.ok(
        done.result!.includes(
          `Started by the autoRollback policy of users-api/dev: error-rate failed ` +
            `at ${fired.at} (${fired.message}), after promotion ${p.sha.slice(0, 7)} synced at ${v.syncedAt}.`,
        ),
        done.result,
      );
      assert.equal(await deploymentImage(world.kube.kc, 'users-api-dev', 'users-api'), 'ghcr.io/acme/users-api:1.42.0');
      const [revert] = await gitLog(world, 1);
      assert.equal(revert!.sha, done.revertSha);
      assert.match(revert!.author, /^rewind \(autoRollback policy of users-api\/dev\) </);
      assert.match(revert!.subject, /^Revert "promote users-api 1.46.0 to dev"/);

      const [msg] = postsAbout(p.sha);
      assert.ok(JSON.stringify(msg!.blocks).includes('Rolling back automatically'));
      assert.ok(
        !JSON.stringify(msg!.blocks).includes(ROLLBACK_PROMOTION_ACTION),
        'no button: rewind is already rolling back',
      );

      // Time to detect starts at the promotion watch's first failed verification.
      const doc = await runTimelineDocument({ rw: world.rewind() }, 'rewind/users-api/dev', done.runId, {
        kube: false,
        git: false,
      });
      const detected = doc.phases.find((x) => x.key === 'detected')!;
      assert.equal(detected.at, v.detectedAt);
      assert.match(
        detected.basis,
        /^first failed verification of the promotion watch: users-api\/dev degraded after promotion/,
      );
      assert.ok(doc.events.some((e) => e.kind === 'alert' && e.at === v.detectedAt));

      // No flapping: the revert syncs and is not verified; one automatic run.
      const rv = await verificationOf('dev', done.revertSha!, 'skipped', (x) => x.state === 'skipped');
      assert.equal(rv.change?.kind, 'rewind');
      assert.equal(await runsOf(world, 'rewind/users-api/dev'), 1);
    },
  );

  it(
    'guard: within the cooldown, autoRollback does not fire ' + 'again; the post says until when and offers the button',
    async () => {
      const p = await promote('dev', '1.46.0');
      const v = await verificationOf(
        'dev',
        p.sha,
        'failed and posted',
        (x) => x.state === 'failed' && !!x.slackMessage,
      );
      assert.equal(v.action?.kind, 'cooldown');
      const [msg] = postsAbout(p.sha);
      const blocks = JSON.stringify(msg!.blocks);
      assert.match(blocks, /Not rolled back automatically: the autoRollback cooldown of users-api\/dev runs until /);
      assert.ok(blocks.includes(ROLLBACK_PROMOTION_ACTION));
      assert.equal(await runsOf(world, 'rewind/users-api/dev'), 1, 'no second automatic run');
    },
  );

  it(
    'guard: while another run holds the target, autoRollback ' + 'starts nothing and the post says who holds it',
    async () => {
      // rewind.yaml changes: staging commits to autoRollback too, and needs approval; the running watch takes it.
      const cfg = variant((doc) => {
        const staging = doc.apps['users-api']!.environments.staging!;
        staging.autoRollback = { when: ['error-rate'], cooldown: '30m' };
        staging.approval = { required: true };
      });
      const ensured = await ensureTargetWatches(rw(cfg));
      assert.ok(ensured.retargeted.includes('rewind-watch/users-api/staging'));
      await waitFor(
        'the staging watch runs with autoRollback',
        async () =>
          (
            await world
              .rewind()
              .client.workflow.getHandle(watchWorkflowId('users-api', 'staging'))
              .query<{ verification?: { autoRollback?: unknown } }>('watchedTarget')
          ).verification?.autoRollback,
        30_000,
      );
      const holder = await startRun(rw(cfg), {
        runbook: 'rollback',
        app: 'users-api',
        env: 'staging',
        requester: person(cfg, 'alice'),
        reason: 'checking the checkout flow',
        source: 'cli',
      });
      await untilPhase(world, holder.workflowId, 'awaiting-approval', 120_000);
      try {
        const p = await promote('staging', '1.46.0');
        const v = await verificationOf(
          'staging',
          p.sha,
          'failed and posted',
          (x) => x.state === 'failed' && !!x.slackMessage,
        );
        assert.equal(v.action?.kind, 'held');
        assert.match(
          v.action?.kind === 'held' ? v.action.why : '',
          /users-api\/staging is held by rollback requested by alice \(awaiting-approval\): checking the checkout flow/,
        );
        const [msg] = postsAbout(p.sha);
        assert.match(
          JSON.stringify(msg!.blocks),
          /Not rolled back automatically: users-api\/staging is held by rollback requested by alice/,
        );
        assert.equal(
          (await runStatus(world.rewind(), holder.workflowId)).requester,
          'alice',
          'the holder is untouched',
        );
      } finally {
        await cancelRun(rw(cfg), holder.workflowId, person(cfg, 'alice'), 'test done');
      }
    },
  );

  describe(
    'analysis checks read Argo Rollouts and Flagger ' + 'through the API (minimal CRDs installed for this test)',
    () => {
      const crd = (group: string, kind: string, plural: string) => ({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
          versions: [
            {
              name: group === 'flagger.app' ? 'v1beta1' : 'v1alpha1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      });
      const runCheck = (check: VerificationCheck, since: string) => {
        const acts = createVerificationActivities({ clusters: clustersFromConfig(world.config) });
        return new MockActivityEnvironment().run(acts.runCheck, {
          target: targetSnapshot(world.config, 'users-api', 'staging'),
          check,
          since,
        }) as Promise<CheckVerdict>;
      };
      const NS = 'users-api-staging';

      it('without the CRDs, the verdict says the controller is not installed', async () => {
        const v = await runCheck(
          { name: 'canary', kind: 'analysis', source: 'argo-rollouts', object: 'users-api', withinMs: 5000 },
          new Date().toISOString(),
        );
        assert.deepEqual([v.passed, v.reason], [false, 'error']);
        assert.match(v.message, /Argo Rollouts \(AnalysisRun\) is not installed in cluster sandbox/);
      });

      it(
        'an AnalysisRun of the Rollout that failed after the promotion ' +
          'fails the check; a Flagger Canary that succeeded passes it',
        async () => {
          const rest = await restFor(world.kube.kc);
          for (const c of [
            crd('argoproj.io', 'AnalysisRun', 'analysisruns'),
            crd('flagger.app', 'Canary', 'canaries'),
          ]) {
            await rest.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: c });
          }
          await waitFor(
            'the CRDs served',
            async () => {
              try {
                await rest.list(`/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`);
                await rest.list(`/apis/argoproj.io/v1alpha1/namespaces/${NS}/analysisruns`);
                return true;
              } catch {
                return false;
              }
            },
            30_000,
          );
          const since = new Date(Date.now() - 1000).toISOString();
          const running = runCheck(
            { name: 'analysis', kind: 'analysis', source: 'argo-rollouts', object: 'users-api', withinMs: 60_000 },
            since,
          );
          const run = await rest.request<{ metadata: { name: string } }>(
            'POST',
            `/apis/argoproj.io/v1alpha1/namespaces/${NS}/analysisruns`,
            {
              body: {
                apiVersion: 'argoproj.io/v1alpha1',
                kind: 'AnalysisRun',
                metadata: {
                  name: 'users-api-7d9c-2',
                  ownerReferences: [
                    {
                      apiVersion: 'argoproj.io/v1alpha1',
                      kind: 'Rollout',
                      name: 'users-api',
                      uid: '00000000-0000-0000-0000-000000000001',
                    },
                  ],
                },
                spec: {},
              },
            },
          );
          await rest.request(
            'PATCH',
            `/apis/argoproj.io/v1alpha1/namespaces/${NS}/analysisruns/${run.metadata.name}/status`,
            {
              body: {
                status: {
                  phase: 'Failed',
                  message: 'metric "error-rate" assessed Failed due to failed (3) > failureLimit (2)',
                },
              },
              contentType: 'application/merge-patch+json',
            },
          );
          const v = await running;
          assert.deepEqual([v.passed, v.reason], [false, 'breached']);
          assert.equal(
            v.message,
            'analysis: AnalysisRun users-api-7d9c-2: Failed (metric ' +
              '"error-rate" assessed Failed due to failed (3) > failureLimit (2))',
          );

          await rest.request('POST', `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`, {
            body: { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'users-api' }, spec: {} },
          });
          await rest.request('PATCH', `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries/users-api/status`, {
            body: {
              status: {
                phase: 'Succeeded',
                lastTransitionTime: new Date().toISOString(),
                conditions: [
                  {
                    type: 'Promoted',
                    status: 'True',
                    message: 'Canary analysis completed successfully, promotion finished.',
                  },
                ],
              },
            },
            contentType: 'application/merge-patch+json',
          });
          const c = await runCheck(
            { name: 'canary', kind: 'analysis', source: 'flagger', object: 'users-api', withinMs: 30_000 },
            since,
          );
          assert.deepEqual([c.passed, c.reason], [true, 'held']);
          assert.match(
            c.message,
            /^canary: Canary users-api: Succeeded \(Canary analysis completed successfully, promotion finished\.\)$/,
          );
        },
      );
    },
  );
});
