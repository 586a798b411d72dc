/**
 * The forge activities, for a config repo whose branch only takes pull requests: open the run's PR,
 * watch until it merges, merge it (break-glass), close it. Each is idempotent by the run's branch
 * or the PR's number: a retry finds the PR an earlier attempt opened, and merging a merged PR
 * answers the merge it already has.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { ForgeError, pullsOf, type PullRequest, type Pulls } from '../../src/lib/forge/pulls.js';
import { FailureType, type PullRequestPolicy, type TargetSnapshot } from '../../workflows/types.js';
import { cancellationSignal, heartbeat } from '../heartbeat.js';

export type { PullRequest } from '../../src/lib/forge/pulls.js';

/**
 * Runs `fn` with the target's pulls client. A forge answer retrying cannot change becomes a
 * non-retryable failure: a refusal a person must fix (token, scopes, repository name) is
 * NotAuthorized, any other (a request the forge will never take) BadInput.
 */
async function withPulls<T>(
  target: TargetSnapshot,
  fn: (pulls: Pulls, policy: PullRequestPolicy) => Promise<T>,
): Promise<T> {
  const policy = target.repo.pullRequests;
  const where = `repos.${target.repo.name}.pullRequests`;
  if (!policy) throw ApplicationFailure.nonRetryable(`${where} is not set in rewind.yaml`, FailureType.BadInput);
  try {
    return await fn(pullsOf(policy), policy);
  } catch (err) {
    if (!(err instanceof ForgeError)) throw err;
    if (err.refused)
      throw ApplicationFailure.nonRetryable(
        `the forge refused rewind: ${err.message}. Check the token in ${policy.tokenEnv} ` +
          `(it must push branches and open pull requests in ${policy.repository}) and ${where}.`,
        FailureType.NotAuthorized,
      );
    throw ApplicationFailure.nonRetryable(`the forge would not: ${err.message}`, FailureType.BadInput);
  }
}

export function createForgeActivities() {
  return {
    /** Opens the PR from the run's branch into the target's branch, or finds the one already open or merged. */
    async openPullRequest(input: {
      target: TargetSnapshot;
      branch: string;
      title: string;
      body: string;
    }): Promise<PullRequest & { reused: boolean }> {
      return withPulls(input.target, async (pulls) => {
        const found = await pulls.find(input.branch);
        if (found) return { ...found, reused: true };
        try {
          const opened = await pulls.open({
            branch: input.branch,
            base: input.target.repo.branch,
            title: input.title,
            body: input.body,
          });
          return { ...opened, reused: false };
        } catch (err) {
          // Opened by an attempt whose answer was lost: the forge says it exists.
          const again = err instanceof ForgeError && err.status === 422 ? await pulls.find(input.branch) : undefined;
          if (again) return { ...again, reused: true };
          throw err;
        }
      });
    },

    /**
     * Watches the PR until it is merged or closed, or for `forMs` at most (then answers it open): the
     * workflow re-arms it, so a review that takes weeks costs a few events an hour, and a merge is
     * seen within seconds. Polls, since the forge's webhooks cannot reach a worker without ingress.
     */
    async awaitPullRequest(input: { target: TargetSnapshot; number: number; forMs: number }): Promise<PullRequest> {
      const until = Date.now() + input.forMs;
      const signal = cancellationSignal();
      return withPulls(input.target, async (pulls) => {
        for (let polls = 0; ; polls++) {
          const pr = await pulls.get(input.number);
          heartbeat({ number: input.number, state: pr.state });
          if (pr.state !== 'open' || Date.now() >= until) return pr;
          // Every 2 s for the first minute (a break-glass reviewer is often watching), then every 15 s.
          await sleep(Math.min(polls < 30 ? 2_000 : 15_000, Math.max(0, until - Date.now())), undefined, { signal });
        }
      });
    },

    /**
     * Break-glass: merges the PR at the head rewind pushed. A merge the forge will not make (required
     * reviews or checks, a conflict, a moved head) is an answer, not a failure: the run then waits.
     */
    async mergePullRequest(input: {
      target: TargetSnapshot;
      number: number;
      headSha: string;
      title: string;
    }): Promise<{ merged: true; pull: PullRequest } | { merged: false; why: string }> {
      return withPulls(input.target, async (pulls, policy) => {
        const now = await pulls.get(input.number);
        if (now.state === 'merged') return { merged: true, pull: now };
        if (now.state === 'closed') return { merged: false, why: `PR #${input.number} is closed` };
        try {
          await pulls.merge(input.number, { headSha: input.headSha, method: policy.method, title: input.title });
        } catch (err) {
          if (err instanceof ForgeError && [405, 409, 422].includes(err.status))
            return { merged: false, why: err.message };
          throw err;
        }
        return { merged: true, pull: await pulls.get(input.number) };
      });
    },

    /** Closes the run's PR with a comment saying why (the run was cancelled); a closed or merged PR is left. */
    async closePullRequest(input: { target: TargetSnapshot; number: number; comment: string }): Promise<boolean> {
      return withPulls(input.target, async (pulls) => {
        if ((await pulls.get(input.number)).state !== 'open') return false;
        await pulls.comment(input.number, input.comment);
        await pulls.close(input.number);
        return true;
      });
    },
  };
}
