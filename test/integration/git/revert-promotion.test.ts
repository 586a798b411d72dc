import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGitActivities, type RevertPromotionResult } from '../../../activities/git/index.js';
import { FailureType } from '../../../workflows/types.js';
import { alice, gitWorld, otherClone, remoteLog, target, type GitWorld, failsWith } from './fixtures.js';

const OVERLAY = 'apps/users-api/overlays/prod/kustomization.yaml';
const tagOf = (text: string) => /newTag: (\S+)/.exec(text)?.[1];

describe('revertPromotion', () => {
  let world: GitWorld;
  let promotion: { sha: string; from: string; to: string };
  beforeEach(async () => {
    world = await gitWorld();
    const p = world.repo.promotions.filter((x) => x.app === 'users-api' && x.env === 'prod').at(-1);
    assert.ok(p);
    promotion = p;
  });
  afterEach(async () => {
    await world.dispose();
  });

  const request = (over: Partial<{ runId: string; reason: string; incidentId: string }> = {}) => ({
    target: target(world.repo, 'users-api', 'prod'),
    sha: promotion.sha,
    requester: alice,
    reason: '5xx after 1.42',
    runId: 'run-1',
    incidentId: 'INC-42',
    ...over,
  });
  const trailer = async (key: string, rev = 'main') =>
    (await world.bare.raw(['log', '-1', `--format=%(trailers:key=${key},valueonly)`, rev])).trim();

  it('pushes one revert authored by the requester, with trailers, and the overlay back at the old tag', async () => {
    const before = await world.repo.head();
    const { revertPromotion } = createGitActivities({
      cacheDir: world.cacheDir,
      committer: { name: 'rewind-bot', email: 'bot@acme.test' },
    });
    const result = await revertPromotion(request());
    assert.deepEqual(result, { revertSha: result.revertSha, reused: false, attempts: 1, foreignCommitsRebased: 0 });
    assert.equal(await world.repo.head(), result.revertSha);
    const [head] = await remoteLog(world, 1);
    assert.ok(head);
    assert.equal(head.author, 'Alice Ops <alice@acme.test>');
    assert.equal(head.committer, 'rewind-bot <bot@acme.test>');
    assert.equal(head.subject, 'Revert "promote users-api 1.42.0 to prod"');
    assert.match(head.body, new RegExp(`This reverts commit ${promotion.sha}\\.\\n\\n5xx after 1\\.42\\n`));
    assert.equal(await trailer('Rewind-Run'), 'run-1');
    assert.equal(await trailer('Rewind-Requested-By'), 'alice');
    assert.equal(await trailer('Rewind-Incident'), 'INC-42');
    assert.equal((await world.bare.raw(['rev-parse', 'main^'])).trim(), before);
    assert.equal(tagOf(await world.repo.show(OVERLAY)), promotion.from);
    // Only the overlay file changed.
    assert.deepEqual(
      (await world.bare.raw(['diff-tree', '--no-commit-id', '--name-only', '-r', 'main'])).trim(),
      OVERLAY,
    );
  });

  it('heartbeats its push attempts when run as an activity', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const base = await world.repo.head();
    const { revertPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    // run()'s generics cannot infer R from the function, so name it.
    const result = await env.run<[ReturnType<typeof request>], RevertPromotionResult, typeof revertPromotion>(
      revertPromotion,
      request(),
    );
    assert.equal(result.reused, false);
    assert.deepEqual(beats, [{ step: 'revertPromotion', attempt: 1, base }]);
  });

  it('is idempotent per run: the same runId again (also from a fresh worker or cache) reuses the revert', async () => {
    const first = await createGitActivities({ cacheDir: world.cacheDir }).revertPromotion(request());
    const again = await createGitActivities({ cacheDir: world.cacheDir }).revertPromotion(request());
    const otherMachine = await createGitActivities({ cacheDir: path.join(world.root, 'cache-2') }).revertPromotion(
      request(),
    );
    assert.equal(first.reused, false);
    assert.deepEqual(again, { revertSha: first.revertSha, reused: true, attempts: 0, foreignCommitsRebased: 0 });
    assert.deepEqual(otherMachine, again);
    const runs = (await world.bare.raw(['log', '--format=%(trailers:key=Rewind-Run,valueonly)', 'main']))
      .split('\n')
      .filter((l) => l.trim() === 'run-1');
    assert.equal(runs.length, 1);
    assert.equal(await world.repo.head(), first.revertSha);
  });

  it(
    'finds its revert below the bounded search too: a retry ' +
      'after more commits than runSearchDepth still reuses it',
    async () => {
      const first = await createGitActivities({ cacheDir: world.cacheDir }).revertPromotion(request());
      // Three commits land after the revert; the first look reads only the newest one.
      for (const tag of ['2.5.0', '2.6.0', '2.7.0']) await world.repo.promote('billing-worker', 'dev', tag);
      const retry = await createGitActivities({
        cacheDir: world.cacheDir,
        revert: { runSearchDepth: 1 },
      }).revertPromotion(request());
      assert.deepEqual(retry, { revertSha: first.revertSha, reused: true, attempts: 0, foreignCommitsRebased: 0 });
      // Also when the revert would conflict with what came after (someone edited the same line again).
      const hotfix = (await world.repo.show(OVERLAY)).replace(`newTag: ${promotion.from}`, 'newTag: 1.41.9');
      await world.repo.commit({ [OVERLAY]: hotfix }, 'users-api prod: 1.41.9');
      const again = await createGitActivities({
        cacheDir: world.cacheDir,
        revert: { runSearchDepth: 1 },
      }).revertPromotion(request());
      assert.deepEqual(again, retry);
      const runs = (await world.bare.raw(['log', '--format=%(trailers:key=Rewind-Run,valueonly)', 'main']))
        .split('\n')
        .filter((l) => l.trim() === 'run-1');
      assert.equal(runs.length, 1);
    },
  );

  it('rebases onto a commit another clone pushed right before its push, keeping both', async () => {
    const other = await otherClone(world, 'other');
    const { revertPromotion } = createGitActivities({
      cacheDir: world.cacheDir,
      revert: {
        backoffMs: 10,
        beforePush: async ({ attempt }) => {
          if (attempt !== 1) return;
          await writeFile(path.join(await other.revparse(['--show-toplevel']), 'NOTES.md'), 'on call: dana\n');
          await other.add(['--', 'NOTES.md']);
          await other.commit('notes: who is on call');
          await other.push('origin', 'HEAD:main');
        },
      },
    });
    const foreign = (await other.revparse(['HEAD'])).trim();
    const result = await revertPromotion(request());
    assert.equal(result.attempts, 2);
    assert.equal(result.foreignCommitsRebased, 1);
    const [revert, notes] = await remoteLog(world, 2);
    assert.equal(revert?.sha, result.revertSha);
    assert.equal(revert?.subject, 'Revert "promote users-api 1.42.0 to prod"');
    assert.equal(notes?.subject, 'notes: who is on call');
    assert.notEqual(notes?.sha, foreign); // the foreign commit is new, pushed during the run
    assert.equal(await world.repo.show('NOTES.md'), 'on call: dana\n');
    assert.equal(tagOf(await world.repo.show(OVERLAY)), promotion.from);
    assert.equal(await trailer('Rewind-Run'), 'run-1');
  });

  it('stops with RevertNotNeeded when someone else reverted it by hand while it was pushing', async () => {
    const other = await otherClone(world, 'other');
    let handRevert = '';
    const { revertPromotion } = createGitActivities({
      cacheDir: world.cacheDir,
      revert: {
        backoffMs: 10,
        beforePush: async ({ attempt }) => {
          if (attempt !== 1) return;
          await other.raw(['revert', '--no-edit', promotion.sha]);
          await other.push('origin', 'HEAD:main');
          handRevert = (await other.revparse(['HEAD'])).trim();
        },
      },
    });
    await assert.rejects(
      revertPromotion(request()),
      failsWith(FailureType.RevertNotNeeded, /already has the state from before .*undid it.*nothing was pushed/),
    );
    assert.equal(await world.repo.head(), handRevert);
    assert.equal(await trailer('Rewind-Run'), '');
  });

  it('gives up with a retryable PushRejected when every push loses the race, pushing nothing of its own', async () => {
    const other = await otherClone(world, 'other');
    const dir = await other.revparse(['--show-toplevel']);
    const { revertPromotion } = createGitActivities({
      cacheDir: world.cacheDir,
      revert: {
        maxPushAttempts: 3,
        backoffMs: 5,
        beforePush: async ({ attempt }) => {
          await writeFile(path.join(dir, 'NOTES.md'), `busy ${attempt}\n`);
          await other.add(['--', 'NOTES.md']);
          await other.commit(`notes ${attempt}`);
          await other.push('origin', 'HEAD:main');
        },
      },
    });
    await assert.rejects(revertPromotion(request()), failsWith(FailureType.PushRejected, /rejected 3 times/, false));
    assert.equal((await remoteLog(world, 1))[0]?.subject, 'notes 3');
    assert.equal(await trailer('Rewind-Run'), '');
  });

  it(
    'refuses a conflicting revert with RevertConflict naming ' +
      'the file; the remote is unchanged and the clone reusable',
    async () => {
      const hotfix = (await world.repo.show(OVERLAY)).replace('newTag: 1.42.0', 'newTag: 1.42.1');
      await world.repo.commit({ [OVERLAY]: hotfix }, 'users-api prod: hotfix 1.42.1');
      const head = await world.repo.head();
      const activities = createGitActivities({ cacheDir: world.cacheDir });
      await assert.rejects(
        activities.revertPromotion(request()),
        failsWith(
          FailureType.RevertConflict,
          new RegExp(`conflicts .* in ${OVERLAY.replace(/\//g, '\\/')}; nothing was pushed.*--to <sha>`),
        ),
      );
      assert.equal(await world.repo.head(), head);
      // The cached clone was left clean: reverting the hotfix itself works right after.
      const ok = await activities.revertPromotion({ ...request({ runId: 'run-2' }), sha: head });
      assert.equal(tagOf(await world.repo.show(OVERLAY)), '1.42.0');
      assert.equal(ok.reused, false);
    },
  );

  it(
    'checkRevert answers before approval, side by side, from scratch checkouts ' +
      'of the mirror: clean, or the conflicting file and the later commit',
    async () => {
      const { checkRevert } = createGitActivities({ cacheDir: world.cacheDir });
      const ask = () => checkRevert({ target: target(world.repo, 'users-api', 'prod'), sha: promotion.sha });
      assert.deepEqual(await ask(), { conflicts: [], laterCommits: [] });
      const hotfix = (await world.repo.show(OVERLAY)).replace('newTag: 1.42.0', 'newTag: 1.42.1');
      const later = await world.repo.commit({ [OVERLAY]: hotfix }, 'users-api prod: hotfix 1.42.1');
      // Others keep pushing while the checks run: the mirror fetches beside the dry runs.
      const pushes = (async () => {
        let head = later;
        for (let k = 0; k < 4; k++) head = await world.repo.commit({ [`NOTES-${k}.md`]: `${k}\n` }, `notes ${k}`);
        return head;
      })();
      const answers = await Promise.all(Array.from({ length: 8 }, ask));
      const head = await pushes;
      await ask();
      for (const a of answers) {
        assert.deepEqual(a.conflicts, [OVERLAY]);
        assert.deepEqual(
          a.laterCommits.map((c) => [c.sha, c.subject]),
          [[later, 'users-api prod: hotfix 1.42.1']],
        );
      }
      // Nothing took the writable clone, nothing is left behind, and the remote is unchanged.
      assert.equal(existsSync(path.join(world.cacheDir, 'repos')), false);
      const scratch = path.join(world.cacheDir, 'sources', 'scratch');
      for (const repo of await readdir(scratch)) assert.deepEqual(await readdir(path.join(scratch, repo)), []);
      assert.equal(await world.repo.head(), head);
    },
  );

  it('refuses with RevertNotNeeded, naming the commit that undid it, when the tag was already put back', async () => {
    const back = (await world.repo.show(OVERLAY)).replace('newTag: 1.42.0', 'newTag: 1.41.0');
    const undo = await world.repo.commit({ [OVERLAY]: back }, 'users-api prod: back to 1.41.0 by hand');
    await assert.rejects(
      createGitActivities({ cacheDir: world.cacheDir }).revertPromotion(request()),
      failsWith(FailureType.RevertNotNeeded, new RegExp(`commit ${undo.slice(0, 12)} undid it`)),
    );
    assert.equal(await world.repo.head(), undo);
  });

  it('keeps a hostile reason as message text only', async () => {
    const marker = path.join(world.root, 'pwned');
    const reason = `--upload-pack=evil; rm -rf /\n$(touch ${marker}) \`touch ${marker}\`\n\nRewind-Run: someone-else`;
    const result = await createGitActivities({ cacheDir: world.cacheDir }).revertPromotion(request({ reason }));
    const [head] = await remoteLog(world, 1);
    assert.equal(head?.sha, result.revertSha);
    assert.ok(head?.body.includes(reason), head?.body);
    assert.equal(existsSync(marker), false);
    // The reason's lookalike trailer is body text; the run's own trailer block is last.
    assert.equal(await trailer('Rewind-Run'), 'run-1');
    assert.equal(tagOf(await world.repo.show(OVERLAY)), promotion.from);
  });

  it(
    'a push the remote refuses (pre-receive hook) fails for ' +
      "good with PushRejected and git's message; nothing pushed",
    async () => {
      const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
      await writeFile(hook, '#!/bin/sh\necho "frozen: release in progress" >&2\nexit 1\n');
      await chmod(hook, 0o755);
      const head = await world.repo.head();
      await assert.rejects(
        createGitActivities({ cacheDir: world.cacheDir }).revertPromotion(request()),
        failsWith(
          FailureType.PushRejected,
          /refused the push of the revert to main; nothing was pushed.*frozen: release in progress/s,
        ),
      );
      assert.equal(await world.repo.head(), head);
    },
  );

  it('refuses bad input with BadInput and changes nothing', async () => {
    const head = await world.repo.head();
    const { revertPromotion } = createGitActivities({ cacheDir: world.cacheDir });
    const billing = world.repo.promotions.find((p) => p.app === 'billing-worker');
    assert.ok(billing);
    const cases: Array<[Parameters<typeof revertPromotion>[0], RegExp]> = [
      [{ ...request(), sha: '--upload-pack=evil' }, /not a commit sha/],
      [{ ...request(), sha: 'abcdef0123456' }, /does not exist/],
      [{ ...request(), sha: billing.sha }, /does not touch users-api\/prod/],
      [request({ runId: 'run-1\nRewind-Run: forged' }), /runId .* single line/s],
      [{ ...request(), requester: { ...alice, email: 'a@b> <evil@x' } }, /not a usable git identity/],
      [
        {
          ...request(),
          target: { ...request().target, repo: { ...request().target.repo, url: '--upload-pack=touch /tmp/x' } },
        },
        /must not start with "-"/,
      ],
    ];
    for (const [input, message] of cases)
      await assert.rejects(revertPromotion(input), failsWith(FailureType.BadInput, message));
    assert.equal(await world.repo.head(), head);
  });
});
