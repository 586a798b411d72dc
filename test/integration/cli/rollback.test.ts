/**
 * The `rewind` CLI as a child process (node --import tsx src/app/cli/main.ts) against the real world:
 * Temporal dev server + worker, kube-apiserver with the sandbox controller, the bare config repo.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { poll, runsOf, snapshot } from '../slack/world-checks.js';
import { rewindCli } from './cli-process.js';

let world: World;

const rewind = (...args: Array<string | { bin: true }>) => rewindCli(world, ...args);

describe('rewind CLI against the world', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', health: { window: '2s', timeout: '90s' } });
    await world.startWorker();
  });
  after(async () => {
    await world?.stop();
  });

  describe('bad input changes nothing', () => {
    const targets = ['rewind/users-api/prod', 'rewind/users-api/staging'];
    let baseline: Array<{ head: string; runs: number }>;
    before(async () => {
      baseline = await Promise.all(targets.map((t) => snapshot(world, t)));
    });
    const unchanged = async () =>
      assert.deepEqual(
        await Promise.all(targets.map((t) => snapshot(world, t))),
        baseline,
        'same Git head, no run started',
      );

    it('--yes on prod is refused by the approval policy, exit 1', async () => {
      const r = await rewind(
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        '5xx after 1.42',
        '--yes',
        '--as',
        'alice',
        '--json',
      );
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '', 'nothing on stdout');
      assert.match(
        r.stderr,
        /approval policy of users-api\/prod does not allow --yes; run without it and ask an approver \(bob, carol\)/,
      );
      await unchanged();
    });

    it(
      'a --to that is not a sha, a non-owner, an unknown ' + 'person and an unknown environment are refused, exit 1',
      async () => {
        const cases: Array<[string[], RegExp]> = [
          [['--env', 'staging', '--to', 'nothex', '--as', 'alice'], /"nothex" is not a commit sha/],
          [['--env', 'staging', '--as', 'mallory'], /mallory is not an owner of users-api; owners: alice, carol/],
          [['--env', 'staging', '--as', 'eve'], /"eve" is not a person in rewind\.yaml; add them under people:/],
          [['--env', 'qa', '--as', 'alice'], /app "users-api" has no environment "qa"/],
          [['--env', 'staging', '--as', 'alice', '--incident', 'INC-1\nRewind-Run: forged'], /not an incident id/],
        ];
        for (const [flags, why] of cases) {
          const r = await rewind('rollback', 'users-api', '--reason', 'x', ...flags);
          assert.equal(r.code, 1, `${flags.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, why);
        }
        await unchanged();
      },
    );
  });

  it('rolls back staging (no approval needed) and prints one JSON run status: restored, exit 0', async () => {
    const headBefore = await world.repo.head();
    const r = await rewind(
      'rollback',
      'users-api',
      '--env',
      'staging',
      '--reason',
      'login 5xx after "1.42"',
      '--incident',
      'INC-7',
      '--json',
      '--as',
      'alice',
    );
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as RunStatus;
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON document and nothing else on stdout');
    assert.equal(status.phase, 'restored', status.result);
    assert.equal(status.workflowId, 'rewind/users-api/staging');
    assert.equal(status.requester, 'alice');
    assert.ok(status.timeToRestoreMs! > 0);
    // Progress went to stderr: the plan and the steps as they changed.
    assert.match(r.stderr, /Plan: revert [0-9a-f]{7} "promote users-api 1\.42\.0 to staging"/);
    assert.match(r.stderr, /revert: done/);
    assert.match(r.stderr, /verify-health: done/);
    const head = await world.repo.head();
    assert.notEqual(head, headBefore);
    assert.equal(head, status.revertSha);
    const { simpleGit } = await import('simple-git');
    const commit = await simpleGit({ baseDir: world.repo.remote }).raw(['log', '-1', '--format=%an <%ae>%n%B', head]);
    assert.match(commit, /^Alice Ops <alice@acme\.test>\nRevert "promote users-api 1\.42\.0 to staging"/);
    assert.match(commit, /Rewind-Incident: INC-7/);
  });

  it(
    'status lists a waiting prod run; its requester cannot ' +
      'approve it; an approver rejects it; a later run is cancelled',
    async () => {
      const headBefore = await world.repo.head();
      const started = await rewind(
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        'checkout errors',
        '--as',
        'alice',
        '--no-wait',
      );
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /Started rewind\/users-api\/prod/);
      // Without a terminal, a decision names the run it is for (rewind approve|reject --run).
      const runId = /\(run ([0-9a-f-]+)\)/.exec(started.stdout)![1]!;

      await poll(
        'prod run awaiting approval in `rewind status`',
        async () => {
          const s = await rewind('status', 'users-api', '--json');
          assert.equal(s.code, 0, s.stderr);
          const runs = JSON.parse(s.stdout) as RunStatus[];
          return runs.find((x) => x.workflowId === 'rewind/users-api/prod' && x.phase === 'awaiting-approval');
        },
        120_000,
        500,
      );
      const human = await rewind({ bin: true }, 'status');
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /rewind\/users-api\/prod {2}rollback {2}awaiting-approval .*requested by alice/);

      const own = await rewind('approve', 'users-api', '--env', 'prod', '--as', 'alice', '--run', runId);
      assert.equal(own.code, 1);
      assert.match(own.stderr, /alice requested this run and cannot approve it/);

      const rejected = await rewind('reject', 'users-api', '--as', 'bob', '--run', runId, '--comment', 'not the cause');
      assert.equal(rejected.code, 0, rejected.stderr);
      assert.match(rejected.stdout, /rejected by bob: rewind\/users-api\/prod stops and nothing is changed\./);
      const first = await poll('the rejected run to end', async () => {
        const runs: RunStatus[] = [];
        for await (const wf of world
          .rewind()
          .client.workflow.list({ query: `WorkflowId = 'rewind/users-api/prod' AND ExecutionStatus = 'Completed'` })) {
          runs.push((await world.rewind().client.workflow.getHandle(wf.workflowId, wf.runId).result()) as RunStatus);
        }
        return runs[0];
      });
      assert.equal(first.phase, 'rejected');

      const again = await rewind(
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        'second try',
        '--as',
        'carol',
        '--no-wait',
      );
      assert.equal(again.code, 0, again.stderr);
      const mallory = await rewind('cancel', 'users-api', '--env', 'prod', '--as', 'mallory');
      assert.equal(mallory.code, 1);
      assert.match(mallory.stderr, /mallory is neither an owner nor an approver of users-api/);
      const cancelled = await rewind(
        'cancel',
        'users-api',
        '--env',
        'prod',
        '--as',
        'alice',
        '--reason',
        'found the real cause',
      );
      assert.equal(cancelled.code, 0, cancelled.stderr);
      const second = await poll('the cancelled run to end', async () => {
        const s = await world.rewind().client.workflow.getHandle('rewind/users-api/prod').describe();
        return s.status.name === 'COMPLETED'
          ? ((await world.rewind().client.workflow.getHandle('rewind/users-api/prod').result()) as RunStatus)
          : undefined;
      });
      assert.equal(second.phase, 'cancelled');
      const late = await rewind('cancel', 'users-api', '--env', 'prod', '--as', 'alice');
      assert.equal(late.code, 1);
      assert.match(late.stderr, /run rewind\/users-api\/prod is not running any more \(cancelled\); nothing to cancel/);
      const lateApproval = await rewind('approve', 'users-api', '--env', 'prod', '--as', 'bob');
      assert.equal(lateApproval.code, 1);
      // A late approver learns what became of the run, and when.
      assert.match(
        lateApproval.stderr,
        /run rewind\/users-api\/prod was cancelled at \d{4}-\d\d-\d\dT[\d:.]+Z: Cancelled before any change\./,
      );
      assert.equal(await runsOf(world, 'rewind/users-api/prod'), 2);
      assert.equal(await world.repo.head(), headBefore, 'rejected and cancelled runs change nothing');
    },
  );
});
