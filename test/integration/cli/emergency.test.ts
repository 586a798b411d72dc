/**
 * `rewind emergency`, `pauses`, `resolve`, `abandon` and `status` as child processes against the
 * real world (Temporal dev server + worker, kube-apiserver with the sandbox controller, the bare
 * config repo): what they print, their exit codes, and that bad input changes nothing.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PauseRow } from '../../../src/lib/pauses.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp, mergePatch } from '../../support/kube.js';
import { poll, runsOf, snapshot } from '../slack/world-checks.js';
import { rewindCli } from './cli-process.js';

const AUTO = { prune: true, selfHeal: true };
let world: World;

const rewind = (...args: string[]) => rewindCli(world, ...args);
const automated = async (app: string) => (await argoApp(world.kube.kc, app)).spec.syncPolicy?.automated ?? null;
const liveConfig = async (ns: string) =>
  (await world.kube.kc.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ namespace: ns, name: 'users-api-env' }))
    .data ?? {};
const setAutomated = (name: string, value: object | null) =>
  world.kube.kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applications',
      name,
      body: { spec: { syncPolicy: { automated: value } } },
    },
    mergePatch,
  );

async function rejectPushes<T>(body: () => Promise<T>): Promise<T> {
  const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
  await writeFile(hook, '#!/bin/sh\necho "rejected: main is protected" >&2\nexit 1\n');
  await chmod(hook, 0o755);
  try {
    return await body();
  } finally {
    await rm(hook, { force: true });
  }
}

describe('rewind emergency / pauses / resolve / abandon against the world', () => {
  before(async () => {
    world = await startWorld({
      temporal: 'dev',
      health: { window: '2s', timeout: '60s' },
      controller: { selfHealDelayMs: 1000 },
    });
    await world.startWorker();
  });
  after(async () => {
    await world?.stop();
  });

  it('pauses: nothing at first; an Argo app paused by hand is listed with flag no-lease', async () => {
    const empty = await rewind('pauses', '--json');
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual(JSON.parse(empty.stdout), []);
    const human = await rewind('pauses');
    assert.equal(human.stdout.trim(), 'No app has auto-sync paused.');

    await setAutomated('users-api-dev', null);
    try {
      const listed = await rewind('pauses', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      const rows = JSON.parse(listed.stdout) as PauseRow[];
      assert.deepEqual(rows, [
        { app: 'users-api', env: 'dev', engine: 'argocd argocd/users-api-dev', flag: 'no-lease' },
      ]);
      const table = await rewind('pauses');
      assert.match(table.stdout, /^APP\/ENV\s+ENGINE\s+WHO\s+SINCE\s+REASON\s+INCIDENT\s+EXPIRES\s+FLAG$/m);
      assert.match(
        table.stdout,
        /^users-api\/dev\s+argocd argocd\/users-api-dev\s+-\s+-\s+-\s+-\s+-\s+NO LEASE: paused by hand or a run was terminated$/m,
      );
    } finally {
      await setAutomated('users-api-dev', AUTO);
    }
    assert.deepEqual(JSON.parse((await rewind('pauses', '--json')).stdout), []);
  });

  describe('bad input changes nothing', () => {
    const targets = ['rewind/users-api/prod', 'rewind/users-api/staging'];
    let baseline: Array<{ head: string; runs: number }>;
    before(async () => {
      baseline = await Promise.all(targets.map((t) => snapshot(world, t)));
    });
    const unchanged = async () => {
      assert.deepEqual(
        await Promise.all(targets.map((t) => snapshot(world, t))),
        baseline,
        'same Git head, no run started',
      );
      for (const app of ['users-api-prod', 'users-api-staging'])
        assert.deepEqual(await automated(app), AUTO, `${app} still auto-syncing`);
    };

    it('abandon without --confirm is refused with exit 1 and says what abandon does', async () => {
      const r = await rewind('abandon', 'users-api', '--env', 'prod', '--as', 'alice');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /refused: abandon resumes auto-sync of users-api\/prod now and lets Git win: the engine undoes the live change/,
      );
      assert.match(r.stderr, /rewind abandon users-api --env prod --confirm/);
      await unchanged();
    });

    it(
      'bad change syntax, an unknown app, a non-owner and ' + 'resolve with nothing held are refused with exit 1',
      async () => {
        const cases: Array<[string[], RegExp]> = [
          [
            [
              'emergency',
              'users-api',
              '--env',
              'prod',
              '--change',
              'configmap/users-api-env LOG_LEVEL',
              '--reason',
              'x',
              '--as',
              'alice',
            ],
            /"LOG_LEVEL" is not KEY=VALUE\. Forms:/,
          ],
          [
            [
              'emergency',
              'orders-api',
              '--env',
              'prod',
              '--change',
              'configmap/x A=b',
              '--reason',
              'x',
              '--as',
              'alice',
            ],
            /unknown app "orders-api"/,
          ],
          [
            [
              'emergency',
              'users-api',
              '--env',
              'prod',
              '--change',
              'configmap/users-api-env A=b',
              '--reason',
              'x',
              '--as',
              'mallory',
            ],
            /mallory is not an owner of users-api; owners: alice, carol/,
          ],
          [['resolve', 'users-api', '--env', 'prod', '--as', 'alice'], /no run rewind\/users-api\/prod/],
        ];
        for (const [args, why] of cases) {
          const r = await rewind(...args);
          assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, why);
        }
        await unchanged();
      },
    );

    it('an object that does not exist: the plan refuses it, exit 1, nothing paused or pushed', async () => {
      const r = await rewind(
        'emergency',
        'users-api',
        '--env',
        'staging',
        '--change',
        'configmap/nope A=b',
        '--reason',
        'typo',
        '--as',
        'alice',
        '--json',
      );
      assert.equal(r.code, 1, r.stderr);
      const status = JSON.parse(r.stdout) as RunStatus;
      assert.equal(status.phase, 'failed');
      assert.match(status.result ?? '', /does not exist in users-api-staging/);
      assert.equal(await runsOf(world, 'rewind/users-api/staging'), baseline[1]!.runs + 1);
      assert.equal(await world.repo.head(), baseline[1]!.head);
      assert.deepEqual(await automated('users-api-staging'), AUTO);
    });
  });

  it('emergency on staging prints the plan (before → after, Git file), the steps, and exits 0 restored', async () => {
    const r = await rewind(
      'emergency',
      'users-api',
      '--env',
      'staging',
      '--change',
      'configmap/users-api-env LOG_LEVEL=debug',
      '--reason',
      'need logs',
      '--incident',
      'INC-8',
      '--as',
      'alice',
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^Plan: change live \(before → after\), then commit the same change to Git$/m);
    assert.match(r.stdout, /^ {2}ConfigMap users-api-staging\/users-api-env$/m);
    assert.match(r.stdout, /^ {4}\/data\/LOG_LEVEL: "info" → "debug"$/m);
    assert.match(r.stdout, /^Git files it will edit: apps\/users-api\/overlays\/staging\/configmap-patch\.yaml$/m);
    assert.match(r.stdout, /^ {2}commit: done — pushed [0-9a-f]{7}/m);
    assert.match(r.stdout, /^ {2}resume: done — auto-sync restored/m);
    assert.match(r.stdout, /^rewind\/users-api\/staging: restored$/m);
    const sha = /^Git commit: ([0-9a-f]{40})$/m.exec(r.stdout)?.[1];
    assert.equal(sha, await world.repo.head());
    assert.match(
      await world.repo.show('apps/users-api/overlays/staging/configmap-patch.yaml'),
      /^\s+LOG_LEVEL: debug$/m,
    );
    assert.equal((await liveConfig('users-api-staging')).LOG_LEVEL, 'debug');
    assert.deepEqual(await automated('users-api-staging'), AUTO);
  });

  it(
    'a rejected push: exit 2 with why and the exact commands; status shows ' +
      'it HELD; resolve exits 2 while Git lacks it; abandon --confirm exits 0',
    async () => {
      await rejectPushes(async () => {
        const r = await rewind(
          'emergency',
          'users-api',
          '--env',
          'dev',
          '--change',
          'configmap/users-api-env FEATURE_FLAGS=beta',
          '--reason',
          'try beta',
          '--as',
          'alice',
        );
        assert.equal(r.code, 2, r.stderr + r.stdout);
        assert.match(
          r.stdout,
          /^HELD: Auto-sync of users-api\/dev stays PAUSED: Failed at commit: .*refused the push/m,
        );
        assert.match(r.stdout, /^ {2}Once Git holds the change: +rewind resolve users-api --env dev$/m);
        assert.match(
          r.stdout,
          /^ {2}To resume now and let Git win: +rewind abandon users-api --env dev --confirm {3}\(the engine undoes the live change\)$/m,
        );
        assert.equal(await automated('users-api-dev'), null, 'auto-sync stays paused after the CLI returned');

        const status = await rewind('status');
        assert.match(
          status.stdout,
          /^rewind\/users-api\/dev {2}emergency-change {2}HELD-PAUSED {2}requested by alice/m,
        );
        assert.match(status.stdout, /rewind resolve users-api --env dev/);
        const pauses = JSON.parse((await rewind('pauses', '--json')).stdout) as PauseRow[];
        assert.equal(pauses.length, 1);
        assert.equal(pauses[0]!.lease?.by, 'alice');
        assert.equal(pauses[0]!.flag, undefined);

        const resolve = await rewind('resolve', 'users-api', '--env', 'dev', '--as', 'carol');
        assert.equal(resolve.code, 2, resolve.stderr);
        assert.match(
          resolve.stdout,
          /Not resolved: Git does not hold the live change yet \(Git still differs from live at .*FEATURE_FLAGS\)/,
        );
        const cancel = await rewind('cancel', 'users-api', '--env', 'dev', '--as', 'alice');
        assert.equal(cancel.code, 1);
        assert.match(
          cancel.stderr,
          /holds auto-sync of users-api\/dev paused and cannot be cancelled: resolve it once Git holds the change/,
        );
        const mallory = await rewind('abandon', 'users-api', '--env', 'dev', '--confirm', '--as', 'mallory');
        assert.equal(mallory.code, 1);
        assert.match(mallory.stderr, /mallory is neither an owner nor an approver of users-api/);

        const abandon = await rewind(
          'abandon',
          'users-api',
          '--env',
          'dev',
          '--confirm',
          '--as',
          'alice',
          '--comment',
          'not worth it',
        );
        assert.equal(abandon.code, 0, abandon.stderr);
        assert.match(abandon.stdout, /^rewind\/users-api\/dev: abandoned$/m);
        assert.deepEqual(await automated('users-api-dev'), AUTO);
      });
      await poll('self-heal to put Git back', async () =>
        (await liveConfig('users-api-dev')).FEATURE_FLAGS === '' ? true : undefined,
      );
      assert.deepEqual(JSON.parse((await rewind('pauses', '--json')).stdout), []);
    },
  );
});
