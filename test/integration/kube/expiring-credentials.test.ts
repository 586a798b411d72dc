/**
 * Credentials that expire, against a real kube-apiserver: the world's exec credential plugin hands
 * out tokens valid for a few seconds, and its TokenReview webhook (no webhook cache) refuses
 * expired ones. kube-apiserver itself keeps a successful token review for 10 s, so a token is
 * refused at the latest 10 s after its first use: the spans below are longer than that. rewind's
 * client, built once, must keep working across expiries (requests and watches), and credentials
 * the cluster refuses must fail the activity at once, non-retryable, naming the cluster and the fix.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities/index.js';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import { GitSourceCache } from '../../../src/lib/gitops/git-source.js';
import { clusterConfig, clustersFromConfig, type Clusters } from '../../../src/lib/kube/clusters.js';
import { restFor } from '../../../src/lib/kube/rest-pool.js';
import { openWatch, watchUntil } from '../../../src/lib/kube/watch.js';
import { startKube, type KubeWorld } from '../../../src/sandbox/world/kube.js';
import { FailureType, type PauseLease, type TargetSnapshot } from '../../../workflows/types.js';

const LIFETIME_S = 4;
/** kube-apiserver's own cache of successful token reviews (not configurable by flag). */
const APISERVER_TOKEN_CACHE_MS = 10_000;
/** Longer than three token lifetimes, and than a token's lifetime plus the API server's cache. */
const SPAN_MS = Math.max(3.5 * LIFETIME_S * 1000, LIFETIME_S * 1000 + APISERVER_TOKEN_CACHE_MS + 1500);
const APPS = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications';
const AUTOMATED = { prune: true, selfHeal: true };

let dir: string;
let world: KubeWorld;
let clusters: Clusters;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exec = () => world.execCredentials!;

const target = (cluster: string) =>
  ({
    app: 'demo',
    env: 'prod',
    cluster,
    engine: { kind: 'argocd', namespace: 'argocd', name: 'demo' },
    namespace: 'demo',
    workloads: [],
  }) as unknown as TargetSnapshot;
const lease: PauseLease = {
  by: 'alice',
  reason: 'incident',
  runId: 'run-1',
  pausedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
};

const adminRest = () => restFor(world.kc);
const automated = async () =>
  (await (await adminRest()).request<{ spec: { syncPolicy?: { automated?: unknown } } }>('GET', `${APPS}/demo`)).spec
    .syncPolicy?.automated;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rewind-expiring-'));
  world = await startKube({
    dir,
    execCredentials: { lifetimeSeconds: LIFETIME_S },
    watchTimeoutSeconds: LIFETIME_S,
    tokenUsers: [{ token: 'tok-no-rights', user: 'no-rights', uid: '7' }],
  });
  const admin = await adminRest();
  await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'argocd' } } });
  await admin.request('POST', APPS, {
    body: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'demo' },
      spec: {
        project: 'default',
        source: { repoURL: 'file:///tmp/x.git', path: '.', targetRevision: 'HEAD' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'demo' },
        syncPolicy: { automated: AUTOMATED },
      },
    },
  });
  // As rewind.yaml names them: the kubeconfig file, one context each.
  clusters = clustersFromConfig({
    clusters: {
      'prod-eks': { kubeconfig: world.kubeconfigPath, context: 'exec-user' },
      staging: { kubeconfig: world.kubeconfigPath, context: 'no-rights' },
    },
  } as unknown as RewindConfig);
});

after(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('expiring exec-plugin credentials', () => {
  it(
    `a KubeRest built once keeps working across several token expiries (requests ` +
      `over ${SPAN_MS / 1000}s), where credentials applied once are refused`,
    async () => {
      const kc = clusterConfig(clusters, 'prod-eks');
      const rest = await restFor(kc);
      // The old way, for contrast: credentials applied once, at the start.
      const once: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(once as never);
      const getOnce = () =>
        new Promise<number>((resolve, reject) => {
          https
            .get(`${world.server}${APPS}/demo`, once, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            })
            .on('error', reject);
        });
      assert.equal(await getOnce(), 200);
      const expiredBefore = exec().reviews.expired;
      const issuedBefore = await exec().issued();
      const started = Date.now();
      let requests = 0;
      while (Date.now() - started < SPAN_MS) {
        const app = await rest.request<{ metadata: { name: string } }>('GET', `${APPS}/demo`);
        assert.equal(app.metadata.name, 'demo');
        assert.equal(await restFor(kc), rest, 'the same client throughout');
        requests++;
        await sleep(400);
      }
      assert.equal(await getOnce(), 401, 'the token applied once is refused by now');
      assert.ok(exec().reviews.expired > expiredBefore, 'the webhook said why: expired');
      const issued = (await exec().issued()) - issuedBefore;
      assert.ok(requests >= 20, `${requests} requests`);
      assert.ok(issued >= 3, `the plugin ran ${issued} times: a fresh token after each expiry`);
      assert.ok(
        issued < requests,
        `and not once per request (${issued} runs for ${requests} requests): ` +
          `client-node caches the credential until it expires`,
      );
    },
  );

  it(
    'a watch re-opened after each expiry carries fresh ' +
      'credentials (client-node Watch applies them per connection)',
    async () => {
      const kc = clusterConfig(clusters, 'prod-eks');
      const started = Date.now();
      let opened = 0;
      while (Date.now() - started < SPAN_MS) {
        // The server ends each watch after timeoutSeconds; a refused one ends with a KubeApiError.
        const end = await new Promise<{ err: unknown; events: number }>((resolve) => {
          let events = 0;
          void openWatch(
            kc,
            APPS,
            { timeoutSeconds: 2 },
            () => {
              events++;
            },
            (err) => resolve({ err, events }),
          ).catch((err: unknown) => resolve({ err, events }));
        });
        assert.equal(
          end.err,
          null,
          `watch ${opened + 1} after ${Date.now() - started} ms ended with ${String(end.err)}`,
        );
        assert.ok(end.events >= 1, 'it listed the Application (ADDED)');
        opened++;
      }
      assert.ok(opened >= 4, `${opened} watches`);
    },
  );

  it(
    'watchUntil sees every change across several expiries ' + '(the server closes its watches, and they re-open)',
    async () => {
      const kc = clusterConfig(clusters, 'prod-eks');
      const rest = await restFor(kc);
      const admin = await adminRest();
      const seen = new Set<string>();
      const started = Date.now();
      let written = 0;
      const writer = (async () => {
        while (Date.now() - started < SPAN_MS) {
          written++;
          await admin.mergePatch(`${APPS}/demo`, {
            metadata: { annotations: { 'rewind.test/counter': String(written) } },
          });
          await sleep(1500);
        }
      })();
      const last = await watchUntil(
        kc,
        [{ path: APPS, fieldSelector: 'metadata.name=demo' }],
        async () => {
          const app = await rest.request<{ metadata: { annotations?: Record<string, string> } }>('GET', `${APPS}/demo`);
          const counter = app.metadata.annotations?.['rewind.test/counter'];
          const done = Date.now() - started >= SPAN_MS && counter === String(written) && seen.has(counter);
          return done ? { done: true, value: counter } : { done: false, recheckInMs: 1000 };
        },
        {
          timeoutMs: SPAN_MS + 30_000,
          onEvent: (_t, type, obj) => {
            const c = (obj as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[
              'rewind.test/counter'
            ];
            if ((type === 'MODIFIED' || type === 'ADDED') && c) seen.add(c);
          },
        },
      );
      await writer;
      assert.equal(last, String(written));
      const missed = Array.from({ length: written }, (_, i) => String(i + 1)).filter((c) => !seen.has(c));
      assert.deepEqual(
        missed,
        [],
        `every write came through the watch (${written} writes over ${Math.round((Date.now() - started) / 1000)}s)`,
      );
    },
  );

  it(
    'credentials the cluster refuses fail the activity at once: ' +
      'NotAuthorized, non-retryable, naming the cluster and the fix',
    async () => {
      await exec().setMode('invalid');
      try {
        await sleep(LIFETIME_S * 1000 + 200); // the last good token, cached by client-node, has expired
        const acts = createActivities({
          clusters,
          sources: new GitSourceCache(path.join(dir, 'git')),
          cacheDir: path.join(dir, 'cache'),
        });
        const started = Date.now();
        const err = await new MockActivityEnvironment()
          .run(acts.pauseAutoSync, { target: target('prod-eks'), lease })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        const tookMs = Date.now() - started;
        assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
        assert.equal(err.type, FailureType.NotAuthorized);
        assert.equal(err.nonRetryable, true);
        assert.match(
          err.message,
          /^the credentials for cluster prod-eks \(https:\/\/127\.0\.0\.1:\d+\) were refused: refresh them \(kubeconfig user exec-user, exec plugin \S+ \S+exec-credential-plugin\.mjs /,
        );
        assert.deepEqual(
          err.details?.[0],
          {
            status: 401,
            reason: 'Unauthorized',
            method: 'GET',
            path: `${APPS}/demo`,
            ...(await restFor(clusterConfig(clusters, 'prod-eks'))).endpoint,
          },
          'the refused request, as details',
        );
        assert.equal(err.cause, undefined, 'no cause: a run reports the innermost message, which is this one');
        assert.ok(tookMs < 5000, `at once (${tookMs} ms: one retry with fresh credentials, no backoff)`);
        assert.ok(exec().reviews.invalid > 0, "the webhook refused the plugin's new tokens");
        assert.deepEqual(await automated(), AUTOMATED, 'nothing was paused');
      } finally {
        await exec().setMode('valid');
      }
    },
  );

  it('a right rewind lacks fails at once too, naming the verb, the resource and the RBAC file', async () => {
    const acts = createActivities({
      clusters,
      sources: new GitSourceCache(path.join(dir, 'git')),
      cacheDir: path.join(dir, 'cache'),
    });
    const err = await new MockActivityEnvironment().run(acts.pauseAutoSync, { target: target('staging'), lease }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, FailureType.NotAuthorized);
    assert.equal(err.nonRetryable, true);
    assert.match(
      err.message,
      /^rewind may not get applications\.argoproj\.io demo in namespace argocd on cluster staging \(https:\/\/127\.0\.0\.1:\d+\): grant it in deploy\/base\/rbac\.yaml \(apiGroups: \["argoproj\.io"\], resources: \["applications"\], verbs: \["get"\]\); the API server said: .*User "no-rights" cannot get/,
    );
    assert.equal((err.details?.[0] as { status: number }).status, 403);
  });
});
