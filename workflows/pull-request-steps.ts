/**
 * landPullRequest: where the config repo's branch only takes pull requests, the revert or emergency
 * commit went to the run's own branch; this step opens its PR with the plan as the body, waits for a
 * person to merge it (or merges it at once under a break-glass policy), and hands the merge commit to
 * the steps after it. Where the branch takes pushes, it does nothing.
 */
import { ApplicationFailure, CancellationScope, isCancellation } from '@temporalio/workflow';
import { readActs, gitActs, waitActs } from './activities.js';
import { FailureType, type PullRequestPolicy, type RunbookStep } from './types.js';
import type { StepContext, StepResult } from './step-context.js';
import type { PullRequest } from '../activities/forge/index.js';
import { evidenceOf } from './evidence.js';

/** One watch of the PR, re-armed by the workflow: a review that takes weeks costs a few events an hour. */
const WATCH_MS = 60 * 60_000;

function body(ctx: StepContext, head: string): string {
  const { target, request, runbook } = ctx.input;
  const done = ctx.state.status.steps.filter((s) => s.state === 'done' && s.summary);
  const warnings = ctx.state.status.plan?.warnings ?? ctx.state.status.emergency?.warnings ?? [];
  const live = ctx.patched
    ? `Live is already patched, and auto-sync of ${target.engine.name} stays paused until this change is on ` +
      `${target.repo.branch}: merge it soon, or the next sync would undo the fix.`
    : '';
  return [
    `Opened by rewind for the ${runbook.name} of **${target.app}/${target.env}**, requested by ` +
      `${request.requester.name} (@${request.requester.handle})` +
      `${request.incidentId ? ` for ${request.incidentId}` : ''}: ` +
      `${request.reason}`,
    '',
    `Run: \`${ctx.runKey}\`. Commit: ${head}.`,
    '',
    '### Done so far',
    ...done.map((s) => `- **${s.name}**: ${s.summary}`),
    ...(warnings.length ? ['', '### Warnings', ...warnings.map((w) => `- ${w}`)] : []),
    '',
    '### What merging does',
    `rewind continues from the merge commit: it makes ${target.engine.kind} sync it at once and verifies health. ` +
      `Closing this PR without merging ends the run with nothing changed on ${target.repo.branch}.`,
    ...(live ? ['', live] : []),
  ].join('\n');
}

/** Closes the run's PR, saying why, when the run is cancelled while it waits (never left open for a reviewer). */
async function closeOnCancel(ctx: StepContext, pr: PullRequest): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    readActs
      .closePullRequest({
        target: ctx.input.target,
        number: pr.number,
        comment:
          `The rewind run \`${ctx.runKey}\` was cancelled: this PR is no longer needed, ` +
          'and nothing of it reached the branch.',
      })
      .catch(() => false),
  );
}

/** Watches the PR until it is merged or closed, or until the policy's timeout (then answers it still open). */
async function watch(ctx: StepContext, policy: PullRequestPolicy, pr: PullRequest): Promise<PullRequest> {
  const deadline = Date.now() + policy.timeoutMs;
  let now = pr;
  while (now.state === 'open' && Date.now() < deadline)
    now = await waitActs.awaitPullRequest({
      target: ctx.input.target,
      number: pr.number,
      forMs: Math.min(WATCH_MS, deadline - Date.now()),
    });
  return now;
}

function notMerged(ctx: StepContext, policy: PullRequestPolicy, pr: PullRequest): ApplicationFailure {
  const { branch } = ctx.input.target.repo;
  return ApplicationFailure.nonRetryable(
    pr.state === 'open'
      ? `PR #${pr.number} (${pr.url}) was not merged within ${Math.round(policy.timeoutMs / 3_600_000)} h; ` +
          `nothing reached ${branch}. Merge it and start the run again, or close it.`
      : `PR #${pr.number} (${pr.url}) was closed without merging: nothing reached ${branch}, and ` +
          'the run ends here. Start it again to open a new one.',
    FailureType.PullRequestNotMerged,
  );
}

export async function landPullRequest(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const policy = target.repo.pullRequests;
  const head = ctx.revertSha ?? ctx.commitSha;
  if (!policy || !ctx.runBranch || !head)
    return {
      summary: policy
        ? `nothing to review: no commit of this run waits on a branch (Git already held it)`
        : `${target.repo.branch} takes pushes: nothing to review`,
      skipped: true,
    };
  const title =
    ctx.input.runbook.name === 'rollback' && ctx.promotion
      ? `rewind: revert ${ctx.promotion.sha.slice(0, 7)} "${ctx.promotion.subject}" in ${target.app}/${target.env}`
      : `rewind: ${ctx.input.runbook.name} of ${target.app}/${target.env}: ${request.reason}`.slice(0, 240);
  const pr = await readActs.openPullRequest({ target, branch: ctx.runBranch, title, body: body(ctx, head) });
  ctx.state.status.pullRequest = { number: pr.number, url: pr.url, branch: ctx.runBranch, state: pr.state };
  ctx.state.record('note', 'rewind', `${pr.reused ? 'found' : 'opened'} PR #${pr.number} for review: ${pr.url}`, {
    pullRequest: pr.number,
    url: pr.url,
  });
  ctx.notifier.poke();
  let breakGlass: { merged: boolean; why?: string } | undefined;
  let done: PullRequest = pr;
  if (policy.merge === 'api' && pr.state === 'open') {
    const res = await gitActs.mergePullRequest({ target, number: pr.number, headSha: head, title });
    breakGlass = res.merged ? { merged: true } : { merged: false, why: res.why };
    if (res.merged) done = res.pull;
  }
  try {
    done = await watch(ctx, policy, done);
  } catch (err) {
    if (isCancellation(err) || ctx.isCancelled()) {
      await closeOnCancel(ctx, pr);
      ctx.state.status.pullRequest = { ...ctx.state.status.pullRequest, state: 'closed' };
    }
    throw err;
  }
  if (done.state !== 'merged' || !done.mergeSha) {
    ctx.state.status.pullRequest = { ...ctx.state.status.pullRequest, state: done.state };
    throw notMerged(ctx, policy, done);
  }
  const mergeSha = done.mergeSha;
  ctx.state.status.pullRequest = {
    number: pr.number,
    url: pr.url,
    branch: ctx.runBranch,
    state: 'merged',
    mergeSha,
    ...(done.mergedBy ? { mergedBy: done.mergedBy } : {}),
  };
  // What the engine must reach from here on is the merge commit on the branch, which holds the run's commit.
  if (ctx.revertSha) ctx.revertSha = mergeSha;
  else ctx.commitSha = mergeSha;
  return {
    summary:
      `PR #${pr.number} merged${done.mergedBy ? ` by ${done.mergedBy}` : ''} as ${mergeSha.slice(0, 7)}` +
      `${breakGlass?.merged ? ' (break-glass: rewind merged it through the API)' : ''}` +
      `${breakGlass && !breakGlass.merged ? ` after the forge refused rewind's own merge (${breakGlass.why})` : ''}`,
    evidence: evidenceOf.landPullRequest(
      ctx.input,
      { number: pr.number, url: pr.url, branch: ctx.runBranch, headSha: pr.headSha },
      done,
      breakGlass,
    ),
  };
}
