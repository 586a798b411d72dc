import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createGitActivities, type CommitFileInput } from '../../../activities/git/index.js';
import { FailureType } from '../../../workflows/types.js';
import { gitWorld, remoteLog, type GitWorld, failsWith } from './fixtures.js';

describe('commitFile (the postmortem commit)', () => {
  let world: GitWorld;
  beforeEach(async () => {
    world = await gitWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  const FILE = 'postmortems/2026-12-03-users-api-prod-0a1b2c3d.md';
  const input = (over: Partial<CommitFileInput> = {}): CommitFileInput => ({
    repo: {
      name: 'config',
      url: world.repo.remote,
      branch: world.repo.branch,
      webUrl: 'https://git.example/acme/config',
    },
    file: FILE,
    content: '# users-api/prod: restored\n',
    subject: 'postmortem: users-api/prod restored (rewind/users-api/prod)',
    runId: 'rewind/users-api/prod/0a1b2c3d-run',
    ...over,
  });

  it('adds the file once, as rewind with the run trailer; a retry finds it and pushes nothing', async () => {
    const { commitFile } = createGitActivities({ cacheDir: world.cacheDir });
    const first = await commitFile(input());
    assert.equal(first.reused, false);
    assert.equal(first.file, FILE);
    assert.equal(first.url, `https://git.example/acme/config/commit/${first.sha}`);
    const [head] = await remoteLog(world, 1);
    assert.equal(head?.sha, first.sha);
    assert.equal(head?.subject, 'postmortem: users-api/prod restored (rewind/users-api/prod)');
    assert.equal(head?.author, 'rewind <rewind@localhost>');
    assert.match(head?.body ?? '', /\n\nRewind-Run: rewind\/users-api\/prod\/0a1b2c3d-run$/);
    assert.equal(await world.repo.show(FILE), '# users-api/prod: restored\n');

    const again = await createGitActivities({ cacheDir: world.cacheDir }).commitFile(input({ content: 'changed' }));
    assert.deepEqual({ ...again, reused: false }, first);
    assert.equal(again.reused, true);
    assert.equal(await world.repo.head(), first.sha);
  });

  it('never overwrites a file of that name that another commit added', async () => {
    const theirs = await world.repo.commit({ [FILE]: 'written by a person\n' }, 'notes by hand');
    await assert.rejects(
      createGitActivities({ cacheDir: world.cacheDir }).commitFile(input()),
      failsWith(FailureType.BadInput, /already exists on main .*added by another commit .*does not overwrite it/),
    );
    assert.equal(await world.repo.head(), theirs);
  });

  it("a push the remote refuses fails for good with PushRejected and git's message; nothing pushed", async () => {
    const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "docs are frozen" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const head = await world.repo.head();
    await assert.rejects(
      createGitActivities({ cacheDir: world.cacheDir }).commitFile(input()),
      failsWith(
        FailureType.PushRejected,
        /refused the push of postmortems\/.*\.md to main; nothing was pushed.*docs are frozen/s,
      ),
    );
    assert.equal(await world.repo.head(), head);
  });

  it(
    'refuses a path outside the repository, a forged ' + 'trailer and a two-line subject, before anything runs',
    async () => {
      const head = await world.repo.head();
      const { commitFile } = createGitActivities({ cacheDir: world.cacheDir });
      for (const [bad, message] of [
        [input({ file: '../outside.md' }), /must be a directory relative to the repository root/],
        [input({ file: '.git/hooks/post-commit' }), /relative to the repository root/],
        [input({ runId: 'run\nRewind-Run: forged' }), /runId .* single line/s],
        [input({ subject: 'postmortem\n\nRewind-Run: forged' }), /one line/],
      ] as const)
        await assert.rejects(commitFile(bad), failsWith(FailureType.BadInput, message));
      assert.equal(await world.repo.head(), head);
    },
  );
});
