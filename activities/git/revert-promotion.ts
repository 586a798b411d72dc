/**
 * revertPromotion: reverts one commit on the environment's branch as the requester, and pushes.
 *
 * Idempotent by run: the revert carries a `Rewind-Run: <runId>` trailer, and every attempt first
 * looks for that trailer on the branch, so a worker killed after pushing (before Temporal recorded
 * the result) makes the retry return the existing revert instead of a second one.
 *
 * Nothing is pushed unless the revert applies cleanly and changes something. A push rejected
 * because someone else pushed first is retried on the new tip, re-checking both conditions.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PersonRef, TargetSnapshot } from '../../workflows/types.js';
import type { CachedClone, CloneStore } from '../../src/git/cached-clone.js';
import { changedFiles, commitInfo, literal, resolveCommit } from '../../src/git/git-read.js';
import { kustomizeSourcePaths } from '../../src/git/kustomize-sources.js';
import { pushHead, redactCredentials } from '../../src/git/push.js';
import { commitsForRun, revertMessage } from '../../src/git/revert-message.js';
import { assertTrailerValue, formatIdent } from '../../src/git/validate.js';
import { badInput, pushRefused, pushRejected, refusingUnsafeInput, revertConflict, revertNotNeeded } from './failures.js';
import { checkout, requestedCommit, type Checkout } from './find-promotion.js';
import { heartbeat } from '../heartbeat.js';

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
}

export interface RevertPromotionOptions {
  /** Push attempts per activity attempt before a retryable PushRejected. @default 5 */
  maxPushAttempts?: number;
  /** First backoff after a rejected push, doubled each time. @default 200 */
  backoffMs?: number;
  /** Test seam: runs right before each push, e.g. to let another clone push first. */
  beforePush?: (info: { attempt: number; sha: string }) => Promise<void>;
}

/** Local branch the revert is built on; the clone's other branches are never touched. */
const WORK_BRANCH = 'rewind-work';

export function createRevertPromotion(store: CloneStore, options: RevertPromotionOptions = {}) {
  const maxPushAttempts = options.maxPushAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 200;

  /** The commit that already undid `sha` between it and `base`: git's own revert wording first, then the last edit of its files. */
  async function undoneBy(clone: CachedClone, sha: string, base: string): Promise<string | undefined> {
    const { git } = clone;
    const byMessage = (await git.raw(['log', '-n1', '--format=%H', '--fixed-strings', `--grep=This reverts commit ${sha}`, `${sha}..${base}`])).trim();
    if (byMessage) return byMessage;
    const files = await changedFiles(git, sha);
    if (files.length === 0) return undefined;
    return (await git.raw(['log', '-n1', '--format=%H', `${sha}..${base}`, '--', ...files.map(literal)])).trim() || undefined;
  }

  /** Builds the revert commit on `base`, or throws RevertConflict / RevertNotNeeded with the clone cleaned. */
  async function commitRevert(co: Checkout, input: RevertPromotionInput, sha: string, base: string, subject: string): Promise<string> {
    const { git } = co.clone;
    await git.raw(['checkout', '--force', '--quiet', '-B', WORK_BRANCH, base]);
    try {
      await git.raw(['revert', '--no-commit', sha]);
    } catch (err) {
      const conflicted = (await git.raw(['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
      await co.clone.clean();
      if (conflicted.length === 0) throw err;
      throw revertConflict(
        `reverting ${sha.slice(0, 12)} ("${subject}") conflicts with later changes on ${co.branch} in ${conflicted.join(', ')}; ` +
          'nothing was pushed. Revert it by hand, or roll back another commit with --commit <sha>.',
        { sha, files: conflicted, base },
      );
    }
    if ((await git.raw(['diff', '--cached', '--name-only'])).trim() === '') {
      const by = await undoneBy(co.clone, sha, base);
      await co.clone.clean();
      throw revertNotNeeded(
        `${co.branch} already has the state from before ${sha.slice(0, 12)} ("${subject}")` +
          `${by ? `: commit ${by.slice(0, 12)} undid it` : ''}; nothing was pushed.`,
        { sha, ...(by ? { undoneBy: by } : {}), base },
      );
    }
    // Via a file, not -m: the reason is free text from Slack or a terminal and stays message text only.
    const messageFile = path.join(co.clone.dir, '.git', 'REWIND_REVERT_MSG');
    await writeFile(messageFile, revertMessage({
      sha, subject, reason: input.reason, runId: input.runId, requestedBy: input.requester.handle,
      ...(input.incidentId ? { incidentId: input.incidentId } : {}),
    }));
    await git.raw(['commit', '--quiet', '--no-verify', '--cleanup=whitespace', `--author=${formatIdent('requester', input.requester)}`, '-F', messageFile]);
    return (await git.raw(['rev-parse', 'HEAD'])).trim();
  }

  /** True when pushed; false when rejected as not fast-forward. A refusal (hook, permissions) is final; other failures throw. */
  async function push(co: Checkout): Promise<boolean> {
    const out = await pushHead(co.clone.git, co.branch);
    if (out.kind === 'refused') {
      await co.clone.clean();
      throw pushRefused(`${redactCredentials(co.clone.url)} refused the push of the revert to ${co.branch}; nothing was pushed. Git said:\n${out.message}`, { branch: co.branch, gitMessage: out.message });
    }
    return out.kind === 'pushed';
  }

  async function revert(clone: CachedClone, input: RevertPromotionInput): Promise<RevertPromotionResult> {
    const co = await checkout(clone, input.target);
    const sha = await requestedCommit(co, input.sha);
    const paths = await kustomizeSourcePaths(clone.git, co.tip, co.envPath);
    if ((await changedFiles(clone.git, sha, paths)).length === 0) {
      throw badInput(`commit ${input.sha} does not touch ${input.target.app}/${input.target.env} (${paths.join(', ')}); reverting it would not roll this environment back`, { sha, paths });
    }
    const { subject } = await commitInfo(clone.git, sha);
    let base = co.tip;
    let attempts = 0;
    let foreignCommitsRebased = 0;
    for (;;) {
      const mine = await commitsForRun(clone.git, `${sha}..${base}`, input.runId);
      if (mine[0]) return { revertSha: mine[0], reused: true, attempts, foreignCommitsRebased };
      const revertSha = await commitRevert(co, input, sha, base, subject);
      attempts += 1;
      heartbeat({ step: 'revertPromotion', attempt: attempts, base });
      await options.beforePush?.({ attempt: attempts, sha: revertSha });
      if (await push(co)) return { revertSha, reused: false, attempts, foreignCommitsRebased };
      if (attempts >= maxPushAttempts) {
        await clone.clean();
        throw pushRejected(`push of the revert of ${sha.slice(0, 12)} to ${co.branch} was rejected ${attempts} times: others keep pushing; will retry`, { sha, attempts });
      }
      await sleep(backoffMs * 2 ** (attempts - 1));
      await clone.fetch();
      const tip = await resolveCommit(clone.git, `refs/remotes/origin/${co.branch}`);
      if (!tip) throw badInput(`branch ${co.branch} disappeared from ${clone.url} while reverting`, { branch: co.branch });
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
      return store.use(input.target.repo.url, (clone) => revert(clone, input));
    });
  };
}
