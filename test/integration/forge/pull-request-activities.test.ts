/**
 * The forge activities (activities/forge/) against the stand-in of GitHub's pulls API over a real
 * bare repository: opening is idempotent by the run's branch, a break-glass merge lands a real merge
 * commit, a merge the forge refuses is an answer (the run waits), and a refused token is a
 * NotAuthorized failure that names the env var to fix.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createForgeActivities } from '../../../activities/forge/index.js';
import { startForgeStandin, type ForgeStandin } from '../../../src/sandbox/world/forge-standin.js';
import type { PullRequestPolicy, TargetSnapshot } from '../../../workflows/types.js';

const TOKEN_ENV = 'REWIND_TEST_FORGE_TOKEN';

describe('forge activities', () => {
  let scratch: string;
  let bare: string;
  let work: string;
  let forge: ForgeStandin;
  const acts = createForgeActivities();

  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@acme.test', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();
  /** A branch off main with one commit changing `file`, pushed to the bare repo; its tip. */
  const branch = (name: string, file: string, text: string) => {
    git(work, 'checkout', '-q', '-B', name, 'origin/main');
    writeFileSync(path.join(work, file), text);
    git(work, 'add', file);
    git(work, 'commit', '-qm', `${name}: ${file}`);
    git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${name}`);
    return git(work, 'rev-parse', 'HEAD');
  };
  const target = (policy: Partial<PullRequestPolicy> = {}): TargetSnapshot =>
    ({
      app: 'users-api',
      env: 'prod',
      repo: {
        name: 'config',
        url: bare,
        branch: 'main',
        pullRequests: {
          api: forge.apiUrl,
          repository: 'acme/config',
          tokenEnv: TOKEN_ENV,
          merge: 'api',
          method: 'merge',
          timeoutMs: 60_000,
          ...policy,
        },
      },
    }) as TargetSnapshot;

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'rewind-forge-'));
    bare = path.join(scratch, 'config.git');
    work = path.join(scratch, 'work');
    git(scratch, 'init', '-q', '--bare', '--initial-branch=main', bare);
    git(scratch, 'clone', '-q', bare, work);
    writeFileSync(path.join(work, 'tag.yaml'), 'tag: 1.42.0\n');
    git(work, 'add', 'tag.yaml');
    git(work, 'commit', '-qm', 'seed');
    git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    git(work, 'fetch', '-q');
    process.env[TOKEN_ENV] = 'forge-token';
    forge = await startForgeStandin({ repos: { 'acme/config': bare }, token: 'forge-token', login: 'rewind-bot' });
  });
  after(async () => {
    await forge?.stop();
    delete process.env[TOKEN_ENV];
    rmSync(scratch, { recursive: true, force: true });
  });

  it('opens the run branch PR once, merges it break-glass, and answers the merge again on a retry', async () => {
    const head = branch('rewind/users-api/prod/run-1', 'a.yaml', 'a: 1\n');
    const t = target();
    const opened = await acts.openPullRequest({
      target: t,
      branch: 'rewind/users-api/prod/run-1',
      title: 'T',
      body: 'B',
    });
    assert.equal(opened.reused, false);
    assert.equal(opened.state, 'open');
    assert.equal(opened.headSha, head);
    const again = await acts.openPullRequest({
      target: t,
      branch: 'rewind/users-api/prod/run-1',
      title: 'T',
      body: 'B',
    });
    assert.deepEqual([again.reused, again.number], [true, opened.number], 'a retry finds the PR, never a second one');
    assert.equal(forge.pulls('acme', 'config').length, 1);

    const merged = await acts.mergePullRequest({ target: t, number: opened.number, headSha: head, title: 'T' });
    assert.ok(merged.merged);
    const mainTip = git(bare, 'rev-parse', 'refs/heads/main');
    assert.equal(merged.pull.mergeSha, mainTip);
    assert.equal(merged.pull.mergedBy, 'rewind-bot');
    assert.equal(git(bare, 'rev-parse', `${mainTip}^2`), head, 'a real merge commit of the run branch');
    const retried = await acts.mergePullRequest({ target: t, number: opened.number, headSha: head, title: 'T' });
    assert.ok(retried.merged);
    assert.equal(retried.pull.mergeSha, mainTip, 'merging a merged PR answers its merge');
    const seen = await acts.awaitPullRequest({ target: t, number: opened.number, forMs: 1000 });
    assert.equal(seen.state, 'merged');
  });

  it('answers a merge the forge refuses (a conflict) instead of failing, and changes nothing', async () => {
    git(work, 'fetch', '-q');
    const t = target();
    const one = branch('rewind/users-api/prod/run-2', 'tag.yaml', 'tag: 1.40.0\n');
    const two = branch('rewind/users-api/prod/run-3', 'tag.yaml', 'tag: 1.41.0\n');
    const a = await acts.openPullRequest({ target: t, branch: 'rewind/users-api/prod/run-2', title: 'A', body: '' });
    const b = await acts.openPullRequest({ target: t, branch: 'rewind/users-api/prod/run-3', title: 'B', body: '' });
    assert.ok((await acts.mergePullRequest({ target: t, number: a.number, headSha: one, title: 'A' })).merged);
    const before = git(bare, 'rev-parse', 'refs/heads/main');
    const refused = await acts.mergePullRequest({ target: t, number: b.number, headSha: two, title: 'B' });
    assert.equal(refused.merged, false);
    assert.match(!refused.merged ? refused.why : '', /405 Pull Request is not mergeable/);
    assert.equal(git(bare, 'rev-parse', 'refs/heads/main'), before);
    const open = await acts.awaitPullRequest({ target: t, number: b.number, forMs: 100 });
    assert.equal(open.state, 'open', 'still open: the run waits for a person');
    assert.equal(open.mergeable, false);

    assert.equal(await acts.closePullRequest({ target: t, number: b.number, comment: 'The run was cancelled.' }), true);
    const closed = forge.pulls('acme', 'config').find((p) => p.number === b.number)!;
    assert.equal(closed.state, 'closed');
    assert.deepEqual(
      closed.comments.map((c) => c.body),
      ['The run was cancelled.'],
    );
  });

  it('fails as NotAuthorized, naming the env var, when the token is missing or refused', async () => {
    const t = target({ tokenEnv: 'REWIND_TEST_NO_SUCH_TOKEN' });
    await assert.rejects(
      acts.openPullRequest({ target: t, branch: 'x', title: 'T', body: '' }),
      (e: unknown) =>
        e instanceof ApplicationFailure &&
        e.type === 'NotAuthorized' &&
        e.nonRetryable === true &&
        /the worker has no REWIND_TEST_NO_SUCH_TOKEN set/.test(e.message),
    );
    process.env.REWIND_TEST_WRONG_TOKEN = 'not-the-token';
    try {
      await assert.rejects(
        acts.awaitPullRequest({ target: target({ tokenEnv: 'REWIND_TEST_WRONG_TOKEN' }), number: 1, forMs: 0 }),
        (e: unknown) =>
          e instanceof ApplicationFailure &&
          e.type === 'NotAuthorized' &&
          /401 Bad credentials/.test(e.message) &&
          /Check the token in REWIND_TEST_WRONG_TOKEN/.test(e.message) &&
          !e.message.includes('not-the-token'),
      );
    } finally {
      delete process.env.REWIND_TEST_WRONG_TOKEN;
    }
  });
});
