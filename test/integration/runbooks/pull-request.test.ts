/**
 * PR mode against real Argo CD: the config repo's main only takes pull requests (the forge
 * stand-in's branch protection refuses pushes to it over HTTP), so both runbooks push the run's
 * commit to a branch of its own, open a PR with the plan, wait for a reviewer's merge, and continue
 * from the merge commit. The forge is the stand-in of GitHub's pulls API; git and Argo CD are real.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { outcomeLines } from '../../../src/app/cli/render.js';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { cancelRun, person, runStatus } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp, refreshArgo, untilArgoSyncedHealthy } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start, terminateRunning } from '../../support/world-runs.js';

let world: World;

const exec = promisify(execFile);
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();

/** The run's PR (from its own branch) as the forge holds it, once the run opened it. */
const openedPr = (run: { workflowId: string; runId: string }) =>
  waitFor(
    `a PR from ${run.workflowId}/${run.runId}`,
    async () => {
      const pr = world.forge!.pulls('acme', 'config').find((p) => p.head.ref === `${run.workflowId}/${run.runId}`);
      if (pr?.state === 'open') return pr;
      const s = await runStatus(world.rewind(), run.workflowId);
      const steps = s.steps.map((x) => `${x.name}:${x.state}${x.summary ? ` (${x.summary})` : ''}`).join(', ');
      if (s.result) throw new Error(`run ended ${s.phase}: ${s.result}; steps: ${steps}`);
      throw new Error(`steps: ${steps}`);
    },
    150_000,
  );

/** A promotion of users-api to staging that Argo CD has synced: what each rollback here undoes. */
async function promoteStaging(tag: string) {
  const promo = await world.repo.promote('users-api', 'staging', tag);
  await refreshArgo(world.kube.kc, 'users-api-staging');
  await waitFor(`staging synced at ${tag}`, async () =>
    (await argoApp(world.kube.kc, 'users-api-staging')).status?.sync?.revision === promo.sha ? true : undefined,
  );
  return promo;
}

async function runningWithPr(workflowId: string): Promise<RunStatus> {
  return waitFor(`${workflowId} waiting on its PR`, async () => {
    const s = await runStatus(world.rewind(), workflowId);
    if (s.result) throw new Error(`run ended ${s.phase}: ${s.result}`);
    return s.pullRequest?.state === 'open' ? s : undefined;
  });
}

async function closeAsReviewer(number: number): Promise<void> {
  const res = await fetch(`${world.forge!.apiUrl}/repos/acme/config/pulls/${number}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${process.env.REWIND_WORLD_FORGE_TOKEN}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ state: 'closed' }),
  });
  assert.equal(res.status, 200);
}

describe('pull-request mode (main only takes PRs)', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', forge: { merge: 'wait' }, health: { window: '6s', timeout: '75s' } });
    await world.startWorker();
    await Promise.all(['users-api-dev', 'users-api-staging'].map((n) => untilArgoSyncedHealthy(world.kube.kc, n)));
  });
  after(async () => {
    await world?.stop();
  });
  afterEach(async () => {
    await terminateRunning(world);
  });

  it('refuses a direct push to main over HTTP, as the forge protects it', async () => {
    // Asynchronously: the git server answering these runs in this process.
    const clone = path.join(world.dir, 'direct-push');
    await exec('git', ['clone', '--quiet', world.repoUrl, clone]);
    git('-C', clone, '-c', 'user.name=x', '-c', 'user.email=x@acme.test', 'commit', '--allow-empty', '-qm', 'direct');
    await assert.rejects(exec('git', ['-C', clone, 'push', 'origin', 'HEAD:main']), (e: Error & { stderr?: string }) =>
      /GH006: Protected branch update failed for refs\/heads\/main/.test(String(e.stderr)),
    );
  });

  it('rolls back through a PR: the plan is its body, main waits for a reviewer, Argo CD syncs the merge', async () => {
    const bad = await promoteStaging('1.43.0');
    const run = await start(world, { app: 'users-api', env: 'staging', as: 'alice', reason: 'crashes after 1.43.0' });
    const pr = await openedPr(run);
    const waiting = await runningWithPr(run.workflowId);

    // What the reviewer reads: which commit is reverted, why, by whom, and what merging does.
    assert.equal(pr.base.ref, 'main');
    assert.match(
      pr.title,
      new RegExp(`^rewind: revert ${bad.sha.slice(0, 7)} "promote users-api 1\\.43\\.0 to staging"`),
    );
    assert.match(pr.body ?? '', /requested by Alice Ops \(@alice\): crashes after 1\.43\.0/);
    assert.match(pr.body ?? '', new RegExp(`\\*\\*plan\\*\\*: revert ${bad.sha.slice(0, 7)} .*1\\.42\\.0`));
    assert.match(pr.body ?? '', /Closing this PR without merging ends the run with nothing changed on main/);
    // The PR's one commit is the requester's revert with the run's trailer; main still holds the bad promotion.
    assert.equal(await world.repo.head(), bad.sha, 'nothing reached main before the merge');
    const revert = pr.head.sha;
    assert.equal(git('-C', world.repo.remote, 'log', '-1', '--format=%an', revert), 'Alice Ops');
    assert.match(
      git('-C', world.repo.remote, 'log', '-1', '--format=%B', revert),
      /Rewind-Run: rewind\/users-api\/staging\//,
    );
    assert.equal(waiting.pullRequest?.number, pr.number);
    assert.match(outcomeLines(waiting).join('\n'), new RegExp(`Waiting for review: PR #${pr.number} `));
    const message = world.slack.messages('C_USERS_API').at(-1)!;
    assert.match(JSON.stringify(message.blocks), /Waiting for review/);

    const mergeSha = await world.forge!.mergeAsReviewer('acme', 'config', pr.number, { login: 'bob' });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.equal(result.revertSha, revert, 'the revert commit, as pushed to the run branch');
    assert.deepEqual(result.pullRequest, {
      number: pr.number,
      url: pr.html_url,
      branch: pr.head.ref,
      state: 'merged',
      mergeSha,
      mergedBy: 'bob',
    });
    const step = result.steps.find((s) => s.name === 'pull-request')!;
    assert.equal(step.summary, `PR #${pr.number} merged by bob as ${mergeSha.slice(0, 7)}`);
    const [head] = await gitLog(world, 1);
    assert.equal(head!.sha, mergeSha);
    assert.equal(git('-C', world.repo.remote, 'rev-parse', `${mergeSha}^2`), revert);
    const app = await argoApp(world.kube.kc, 'users-api-staging');
    assert.equal(app.status?.sync?.revision, mergeSha, 'Argo CD synced the merge commit');
    assert.equal(app.status?.health?.status, 'Healthy');
    const timeline = await run.handle.query<Array<{ step?: string; evidence?: Record<string, unknown> }>>('timeline');
    const landed = timeline.find((e) => e.step === 'pull-request' && e.evidence?.mergeSha);
    assert.equal(landed?.evidence?.headSha, revert);
    assert.equal(landed?.evidence?.mergedBy, 'bob');
  });

  it('ends the run with nothing changed when the reviewer closes the PR', async () => {
    const promo = await promoteStaging('1.44.0');
    const run = await start(world, { app: 'users-api', env: 'staging', as: 'carol', reason: 'slow after 1.44.0' });
    const pr = await openedPr(run);
    await closeAsReviewer(pr.number);
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'failed');
    assert.match(
      result.result ?? '',
      new RegExp(`PR #${pr.number} \\(.*\\) was closed without merging: nothing reached main, and the run ends here`),
    );
    assert.equal(await world.repo.head(), promo.sha, 'main is unchanged');
    assert.equal(result.pullRequest?.state, 'closed');
  });

  it('closes its PR with a comment when the run is cancelled while it waits for review', async () => {
    const promo = await promoteStaging('1.45.0');
    const run = await start(world, { app: 'users-api', env: 'staging', as: 'alice', reason: 'try a rollback' });
    const pr = await openedPr(run);
    await cancelRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'alice'), 'not needed after all');
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'cancelled');
    const closed = world.forge!.pulls('acme', 'config').find((p) => p.number === pr.number)!;
    assert.equal(closed.state, 'closed', 'no PR is left open for a reviewer to merge by mistake');
    assert.match(closed.comments.at(-1)?.body ?? '', /was cancelled: this PR is no longer needed/);
    assert.equal(await world.repo.head(), promo.sha, 'main is unchanged');
  });

  it('emergency path: auto-sync stays paused until the PR that holds the live fix is merged', async () => {
    const run = await start(world, {
      runbook: 'emergency-change',
      app: 'users-api',
      env: 'dev',
      as: 'alice',
      reason: 'turn on debug logging',
      changes: [parseChange('configmap/users-api-env LOG_LEVEL=debug', 'users-api-dev')],
    });
    const pr = await openedPr(run);
    const waiting = await runningWithPr(run.workflowId);
    assert.ok(waiting.pause, 'auto-sync is still paused while the PR waits');
    assert.equal((await argoApp(world.kube.kc, 'users-api-dev')).spec.syncPolicy?.automated, undefined);
    assert.match(pr.body ?? '', /Live is already patched, and auto-sync of users-api-dev stays paused/);
    const mergeSha = await world.forge!.mergeAsReviewer('acme', 'config', pr.number, { login: 'carol' });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.equal(result.pullRequest?.mergeSha, mergeSha);
    const app = await argoApp(world.kube.kc, 'users-api-dev');
    assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true }, 'resumed after the merge');
    assert.equal(app.status?.sync?.revision, mergeSha);
    const order = result.steps.map((s) => `${s.name}:${s.state}`);
    assert.deepEqual(order.slice(5, 8), ['commit:done', 'pull-request:done', 'gate:done']);
  });
});
