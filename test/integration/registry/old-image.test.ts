/**
 * The old-image check against a real registry (Debian's docker-registry on loopback, standing for
 * ghcr.io in the world's rewind.yaml): the activity's answers, then the incident it exists for. A
 * retention policy deleted the image a revert would bring back; the rollback must say so at the
 * plan, before anyone is asked to approve, and change nothing. While the image is there, the same
 * rollback runs to restored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRegistryActivities } from '../../../activities/registry/index.js';
import { targetSnapshot } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { freePort } from '../../../src/sandbox/world/processes.js';
import type { RunStatus } from '../../../workflows/types.js';
import { rewindCli } from '../cli/cli-process.js';
import { runsOf } from '../slack/world-checks.js';

let world: World;

describe('old-image check on a real registry', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', registry: true, health: { window: '2s', timeout: '90s' } });
    await world.startWorker();
  });
  after(async () => {
    await world?.stop();
  });

  it(
    'answers present, missing, unchecked for other hosts, ' + 'and unknown (with why) when the registry is unreachable',
    async () => {
      const { checkImages } = createRegistryActivities();
      const target = targetSnapshot(world.config, 'users-api', 'prod');
      assert.deepEqual(target.registries, { 'ghcr.io': { url: world.registry!.url } });
      assert.deepEqual(
        await checkImages({
          target,
          images: ['ghcr.io/acme/users-api:1.42.0', 'ghcr.io/acme/users-api:9.9.9', 'docker.io/library/redis:7'],
        }),
        [
          { image: 'ghcr.io/acme/users-api:1.42.0', state: 'present', host: 'ghcr.io' },
          {
            image: 'ghcr.io/acme/users-api:9.9.9',
            state: 'missing',
            host: 'ghcr.io',
            detail: 'manifest unknown (HTTP 404)',
          },
          { image: 'docker.io/library/redis:7', state: 'unchecked', host: 'docker.io' },
        ],
      );
      const closed = { ...target, registries: { 'ghcr.io': { url: `http://127.0.0.1:${await freePort()}` } } };
      const [unreachable] = await checkImages({ target: closed, images: ['ghcr.io/acme/users-api:1.42.0'] });
      assert.equal(unreachable?.state, 'unknown');
      assert.match(unreachable?.detail ?? '', /^it could not be reached \(ECONNREFUSED\)$/);
    },
  );

  it('with the old image there, a staging rollback checks it and runs to restored', async () => {
    const promotion = world.repo.promotions.filter((p) => p.app === 'users-api' && p.env === 'staging').at(-1)!;
    const r = await rewindCli(
      world,
      'rollback',
      'users-api',
      '--env',
      'staging',
      '--reason',
      'errors',
      '--as',
      'alice',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as RunStatus;
    assert.equal(status.phase, 'restored', status.result);
    assert.deepEqual(
      status.plan?.warnings.filter((w) => /still exists/.test(w)),
      [],
      `ghcr.io/acme/users-api:${promotion.from} was found`,
    );
  });

  it(
    'when a retention policy deleted the image the revert brings ' +
      'back, the plan refuses before approval and nothing changes',
    async () => {
      const promotion = world.repo.promotions.filter((p) => p.app === 'users-api' && p.env === 'prod').at(-1)!;
      await world.registry!.remove(`acme/users-api:${promotion.from}`);
      const headBefore = await world.repo.head();
      const runsBefore = await runsOf(world, 'rewind/users-api/prod');
      const r = await rewindCli(
        world,
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        '5xx after 1.42',
        '--as',
        'alice',
      );
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 1, out);
      assert.ok(
        out.includes(
          `Failed at plan: reverting ${promotion.sha.slice(0, 7)} "promote users-api ${promotion.to} to prod" ` +
            `would bring back ghcr.io/acme/users-api:${promotion.from}, which ghcr.io no longer has (manifest ` +
            `unknown (HTTP 404)): its pods could never start, so rewind will not revert it; nothing was changed.`,
        ),
        out,
      );
      assert.match(out, /rewind rollback users-api --env prod --to <sha>/);
      assert.doesNotMatch(out, /Waiting for approval/);
      assert.equal(await world.repo.head(), headBefore, 'nothing pushed');
      assert.equal(await runsOf(world, 'rewind/users-api/prod'), runsBefore + 1, 'one run, ended at its plan');
    },
  );
});
