/**
 * revertPromotion: reverts one commit on the environment's branch as the requester, and pushes.
 *
 * Idempotent by run: the revert carries a `Rewind-Run: <runId>` trailer, and every attempt first
 * looks for that trailer on the branch, so a worker killed after pushing (before Temporal recorded
 * the result) makes the retry return the existing revert instead of a second one. That first look
 * reads the newest `runSearchDepth` commits of the branch, not every commit since the promotion
 * (20,000 of them cost ~150 ms on every revert of an old promotion): a retry follows the attempt
 * that pushed within the activity's retry backoff, and the branch would need more commits than
 * that in between to hide the revert. Even then nothing is reverted twice: reverting again on a
 * branch that holds this run's revert comes out empty (or conflicts, if later commits edited the
 * same lines), and before saying so the whole range promotion..tip is searched for the trailer.
 * Only if more than `runSearchDepth` commits came in between and one of them re-applied the
 * promotion's change would a retry revert that re-application.
 *
 * Nothing is pushed unless the revert applies cleanly and changes something. A push rejected
 * because someone else pushed first is retried on the new tip, re-checking both conditions.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PersonRef, TargetSnapshot } from '../../workflows/types.js';
import { type CachedClone, type CloneStore, WORK_BRANCH } from '../../src/lib/git/cached-clone.js';
import { changedFiles, commitChanges, isAncestor, literal, resolveCommit } from '../../src/lib/git/git-read.js';
import { isFullSha } from '../../src/lib/git/sha.js';
import { kustomizeSourcePaths } from '../../src/lib/git/kustomize-sources.js';
import { pushHead, redactCredentials } from '../../src/lib/git/push.js';
import { commitsForRun, revertMessage, runTrailerLog } from '../../src/lib/git/revert-message.js';
import { mineOnRunBranch, runBranch } from '../../src/lib/git/run-branch.js';
import { assertTrailerValue, formatIdent } from '../../src/lib/git/validate.js';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import {
  badInput,
  prModeHint,
  pushRefused,
  pushRejected,
  refusingUnsafeInput,
  revertConflict,
  revertNotNeeded,
} from './failures.js';
import { checkout, requestedCommit, requestedCommitInfo, type Checkout } from './find-promotion.js';
import { heartbeat, whileQueued } from '../heartbeat.js';

export interface RevertPromotionInput {
  target: TargetSnapshot;
  sha: string;
  requester: PersonRef;
  reason: string;
  incidentId?: string;
  /** Workflow run id; recorded as the `Rewind-Run` trailer and used to find this run's revert again. */
  runId: string;
}

export interface RevertPromotionResult {
  revertSha: string;
  /** True when this run's revert was already on the branch (a retried activity). */
  reused: boolean;
  /** Push attempts made by this call (0 when reused before any push). */
  attempts: number;
  /** Commits others pushed meanwhile that the revert was re-applied on top of. */
  foreignCommitsRebased: number;
  /** The run's own branch the revert went to, for a pull request (repos.<name>.pullRequests); else unset. */
  branch?: string;
}

export interface RevertPromotionOptions {
  /** Push attempts per activity attempt before a retryable PushRejected. @default 5 */
  maxPushAttempts?: number;
  /** First backoff after a rejected push, doubled each time. @default 200 */
  backoffMs?: number;
  /** Test seam: runs right before each push, e.g. to let another clone push first. */
  beforePush?: (info: { attempt: number; sha: string }) => Promise<void>;
  /**
   * How many of the branch's newest commits are searched for this run's revert before reverting
   * (see the module comment). @default 500
   */
  runSearchDepth?: number;
}

/**
 * Applies the revert of `sha` to the index and work tree on a fresh work branch at `base`;
 * returns the files that conflict (the clone is left as is for the caller to commit or clean).
 */
async function applyRevert(co: Checkout<CachedClone>, sha: string, base: string): Promise<string[]> {
  const { git } = co.clone;
  await git.raw(['checkout', '--force', '--quiet', '-B', WORK_BRANCH, base]);
  try {
    await git.raw(['revert', '--no-commit', sha]);
    return [];
  } catch (err) {
    const conflicted = (await git.raw(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
    if (conflicted.length === 0) {
      await co.clone.clean();
      throw err;
    }
    return conflicted;
  }
}

export interface RevertCheck {
  /** Files where the revert conflicts with what the branch has now; empty when it applies. */
  conflicts: string[];
  /** The later commits that touched those files, newest first: what the person must look at. */
  laterCommits: Array<{ sha: string; subject: string; author: string }>;
}

/**
 * checkRevert: would reverting `sha` on the branch tip apply cleanly? Answered before approval, so
 * the plan can say "this revert will conflict with 9c1e2f0" instead of failing after it. A dry run
 * in a scratch worktree of the worker's mirror: many runs planning at once do not queue on the
 * writable clone that the reverts themselves need.
 */
export function createCheckRevert(sources: GitSourceCache) {
  return async function checkRevert({ target, sha }: { target: TargetSnapshot; sha: string }): Promise<RevertCheck> {
    const source = sources.get(target.repo.url);
    return source.read(async (mirror) => {
      const co = await checkout(mirror, target);
      const commit = await requestedCommit(co, sha);
      const conflicts = await source.scratch(co.tip, async (wt) => {
        try {
          await wt.raw(['revert', '--no-commit', commit]);
          return [];
        } catch (err) {
          const conflicted = (await wt.raw(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
          if (conflicted.length === 0) throw err;
          return conflicted;
        }
      });
      if (!conflicts.length) return { conflicts, laterCommits: [] };
      const log = await mirror.git.raw([
        'log',
        '-n',
        '5',
        '--format=%H%x1f%s%x1f%an',
        `${commit}..${co.tip}`,
        '--',
        ...conflicts.map(literal),
      ]);
      const laterCommits = log
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [h = '', subject = '', author = ''] = l.split('\x1f');
          return { sha: h, subject, author };
        });
      return { conflicts, laterCommits };
    });
  };
}

export function createRevertPromotion(store: CloneStore, options: RevertPromotionOptions = {}) {
  const maxPushAttempts = options.maxPushAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 200;
  const runSearchDepth = options.runSearchDepth ?? 500;

  /**
   * This run's revert anywhere after the promotion: the unbounded search, for when the revert would
   * come out empty or conflict.
   */
  async function mineSince(
    clone: CachedClone,
    input: RevertPromotionInput,
    sha: string,
    base: string,
  ): Promise<string | undefined> {
    return (await commitsForRun(clone.git, `${sha}..${base}`, input.runId))[0];
  }

  /**
   * The commit that already undid `sha` between it and `base`: git's own revert wording first, then
   * the last edit of its files.
   */
  async function undoneBy(clone: CachedClone, sha: string, base: string): Promise<string | undefined> {
    const { git } = clone;
    const byMessage = (
      await git.raw([
        'log',
        '-n1',
        '--format=%H',
        '--fixed-strings',
        `--grep=This reverts commit ${sha}`,
        `${sha}..${base}`,
      ])
    ).trim();
    if (byMessage) return byMessage;
    const files = await changedFiles(git, sha);
    if (files.length === 0) return undefined;
    return (
      (await git.raw(['log', '-n1', '--format=%H', `${sha}..${base}`, '--', ...files.map(literal)])).trim() || undefined
    );
  }

  /**
   * Builds the revert commit on `base` (`mine: false`), or finds this run's revert further back than
   * the first search looked (`mine: true`), or throws RevertConflict / RevertNotNeeded; the clone
   * is cleaned in all but the first case.
   */
  async function commitRevert(
    co: Checkout<CachedClone>,
    input: RevertPromotionInput,
    sha: string,
    base: string,
    subject: string,
  ): Promise<{ sha: string; mine: boolean }> {
    const { git } = co.clone;
    const conflicted = await applyRevert(co, sha, base);
    if (conflicted.length) {
      const mine = await mineSince(co.clone, input, sha, base);
      await co.clone.clean();
      if (mine) return { sha: mine, mine: true };
      throw revertConflict(
        `reverting ${sha.slice(0, 12)} ("${subject}") conflicts with ` +
          `later changes on ${co.branch} in ${conflicted.join(', ')}; ` +
          'nothing was pushed. Revert it by hand, or roll back another commit with --to <sha>.',
        { sha, files: conflicted, base },
      );
    }
    // Via a file, not -m: the reason is free text from Slack or a terminal and stays message text only.
    const messageFile = path.join(co.clone.dir, '.git', 'REWIND_REVERT_MSG');
    await writeFile(
      messageFile,
      revertMessage({
        sha,
        subject,
        reason: input.reason,
        runId: input.runId,
        requestedBy: input.requester.handle,
        ...(input.incidentId ? { incidentId: input.incidentId } : {}),
      }),
    );
    try {
      // No automatic maintenance after this commit (git would start `git maintenance run --auto`):
      // the fetch at the start of every use runs it.
      await git.raw([
        '-c',
        'maintenance.auto=false',
        'commit',
        '--quiet',
        '--no-verify',
        '--cleanup=whitespace',
        `--author=${formatIdent('requester', input.requester)}`,
        '-F',
        messageFile,
      ]);
    } catch (err) {
      // git commit refuses an empty commit: then the revert changed nothing (asked only now, so a
      // revert that applies costs no extra command). Any other failure is the commit's own.
      if ((await git.raw(['diff', '--cached', '--name-only'])).trim() !== '') throw err;
      const mine = await mineSince(co.clone, input, sha, base);
      if (mine) {
        await co.clone.clean();
        return { sha: mine, mine: true };
      }
      const by = await undoneBy(co.clone, sha, base);
      await co.clone.clean();
      throw revertNotNeeded(
        `${co.branch} already has the state from before ${sha.slice(0, 12)} ("${subject}")` +
          `${by ? `: commit ${by.slice(0, 12)} undid it` : ''}; nothing was pushed.`,
        { sha, ...(by ? { undoneBy: by } : {}), base },
      );
    }
    // The commit took everything the revert staged (it touches tracked files only): nothing is left to clean.
    co.clone.markClean();
    // Through the clone's running cat-file process: no git process of its own.
    const made = await resolveCommit(git, 'HEAD');
    if (!made) throw new Error('git commit of the revert left no HEAD');
    return { sha: made, mine: false };
  }

  /**
   * True when pushed; false when rejected as not fast-forward. A refusal (hook, permissions) is
   * final; other failures throw.
   */
  async function push(co: Checkout<CachedClone>, to: string, repo: string): Promise<boolean> {
    const out = await pushHead(co.clone.git, to);
    if (out.kind === 'refused') {
      await co.clone.clean();
      throw pushRefused(
        `${redactCredentials(co.clone.url)} refused the push of the revert ` +
          `to ${to}; nothing was pushed. Git said:\n${out.message}${to === co.branch ? prModeHint(repo) : ''}`,
        { branch: to, gitMessage: out.message },
      );
    }
    return out.kind === 'pushed';
  }

  async function revert(clone: CachedClone, input: RevertPromotionInput): Promise<RevertPromotionResult> {
    const co = await checkout(clone, input.target);
    // The first look for this run's revert also lists the newest commits on the branch: a promotion
    // among them needs no separate ancestry walk. One older than those needs the walk (20,000 commits
    // cost ~14 ms), so for a full sha it starts beside the first look instead of after it.
    const [recent, paths, deepOnBranch] = await Promise.all([
      runTrailerLog(clone.git, co.tip, input.runId, runSearchDepth),
      kustomizeSourcePaths(clone.git, co.tip, co.envPath),
      isFullSha(input.sha) ? isAncestor(clone.git, input.sha, co.tip) : false,
    ]);
    const onBranch = new Set(recent.read);
    if (deepOnBranch) onBranch.add(input.sha);
    let touched: string[] = [];
    const { sha, subject } = await requestedCommitInfo(co, input.sha, {
      onBranch,
      info: async (s) => {
        const c = await commitChanges(clone.git, s, paths);
        touched = c.files;
        return c.info;
      },
    });
    if (touched.length === 0) {
      throw badInput(
        `commit ${input.sha} does not touch ${input.target.app}/${input.target.env}` +
          ` (${paths.join(', ')}); reverting it would not roll this environment back`,
        { sha, paths },
      );
    }
    let base = co.tip;
    let attempts = 0;
    let foreignCommitsRebased = 0;
    // Through a pull request: the revert goes to the run's own branch, where a retry finds it.
    const to = input.target.repo.pullRequests ? runBranch(input.runId) : undefined;
    const pushedTo = to ? { branch: to } : {};
    for (;;) {
      const onRunBranch = to ? await mineOnRunBranch(clone, to, base, input.runId) : [];
      if (onRunBranch[0])
        return { revertSha: onRunBranch[0], reused: true, attempts, foreignCommitsRebased, ...pushedTo };
      const mine = attempts === 0 ? recent.mine : await commitsForRun(clone.git, base, input.runId, runSearchDepth);
      if (mine[0]) return { revertSha: mine[0], reused: true, attempts, foreignCommitsRebased };
      const built = await commitRevert(co, input, sha, base, subject);
      if (built.mine) return { revertSha: built.sha, reused: true, attempts, foreignCommitsRebased };
      const revertSha = built.sha;
      attempts += 1;
      heartbeat({ step: 'revertPromotion', attempt: attempts, base });
      await options.beforePush?.({ attempt: attempts, sha: revertSha });
      if (await push(co, to ?? co.branch, input.target.repo.name))
        return { revertSha, reused: false, attempts, foreignCommitsRebased, ...pushedTo };
      if (attempts >= maxPushAttempts) {
        await clone.clean();
        throw pushRejected(
          `push of the revert of ${sha.slice(0, 12)} to ${co.branch} was ` +
            `rejected ${attempts} times: others keep pushing; will retry`,
          { sha, attempts },
        );
      }
      await sleep(backoffMs * 2 ** (attempts - 1));
      await clone.fetch();
      const tip = await resolveCommit(clone.git, co.clone.branchRef(co.branch));
      if (!tip)
        throw badInput(`branch ${co.branch} disappeared from ${clone.url} while reverting`, { branch: co.branch });
      // Rebase by re-applying the revert on the new tip: the same checks (already reverted by this
      // run? still needed? still applies?) run again against what others pushed.
      foreignCommitsRebased += Number((await clone.git.raw(['rev-list', '--count', `${base}..${tip}`])).trim());
      base = tip;
    }
  }

  return async function revertPromotion(input: RevertPromotionInput): Promise<RevertPromotionResult> {
    return refusingUnsafeInput(async () => {
      assertTrailerValue('runId', input.runId);
      assertTrailerValue('requester.handle', input.requester.handle);
      if (input.incidentId !== undefined) assertTrailerValue('incidentId', input.incidentId);
      formatIdent('requester', input.requester);
      return store.use(input.target.repo.url, (clone) => revert(clone, input), whileQueued('revertPromotion'));
    });
  };
}
