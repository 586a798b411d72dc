/**
 * The Git half of the emergency path.
 *
 * planGitEdits runs in the plan, before anything is paused: on a throwaway worktree at the branch
 * tip it finds where each patched field lives, edits it, renders the environment and says whether
 * Git would then render exactly the patched live values. A change Git cannot hold is refused
 * there, not discovered after auto-sync was paused.
 *
 * commitLiveChange makes the same edits on the cached clone and pushes them as the requester.
 * Idempotent by run (the `Rewind-Run` trailer, as revertPromotion), and it pushes nothing when
 * the branch already renders the live values (someone committed the fix by hand). A push beaten
 * by someone else's is rebuilt on the new tip: the edits are located again there, not rebased,
 * since the other commit may have moved or changed the very lines we edit.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitEdit, LiveChange, PersonRef, TargetSnapshot } from '../../workflows/types.js';
import { type CachedClone, type CloneStore, WORK_BRANCH } from '../../src/lib/git/cached-clone.js';
import { changedFiles, literal, resolveCommit } from '../../src/lib/git/git-read.js';
import { liveChangeMessage } from '../../src/lib/git/live-change-message.js';
import type { RemainingField } from '../../src/lib/git/live-render-check.js';
import {
  compareWithLive,
  planLiveChangeIn,
  type OtherEnvs,
  type PlanOptions,
} from '../../src/lib/git/plan-live-change.js';
import { pushHead, redactCredentials } from '../../src/lib/git/push.js';
import { gitAt } from '../../src/lib/git/run-git.js';
import { commitsForRun } from '../../src/lib/git/revert-message.js';
import { mineOnRunBranch, runBranch } from '../../src/lib/git/run-branch.js';
import { assertTrailerValue, formatIdent } from '../../src/lib/git/validate.js';
import type { KubeObject } from '../../src/lib/gitops/render.js';
import { badInput, prModeHint, pushRefused, pushRejected, refusingUnsafeInput } from './failures.js';
import { checkout, type Checkout } from './find-promotion.js';
import { heartbeat, whileQueued } from '../heartbeat.js';

export interface PlanGitEditsInput {
  target: TargetSnapshot;
  changes: LiveChange[];
  /**
   * Each changed object as the API server would hold it after its patch (a dry run), in `changes`
   * order or findable by kind/namespace/name.
   */
  liveAfter: KubeObject[];
}

export interface PlanGitEditsResult {
  /** Branch tip the edits were planned on. */
  base: string;
  edits: GitEdit[];
  /** Unified diff of the edited files. */
  diff: string;
  /** True when Git, with the edits, renders every patched field to its live value. */
  rendersLive: boolean;
  /** The patched fields Git would still render differently (`path` is a JSON pointer). */
  remaining: RemainingField[];
  /**
   * The app's other environments, rendered before and after the edits: `checked` lists every one
   * (directories), `changed` those whose render differs, which only a change with gitScope 'base'
   * allows (without it planGitEdits refuses).
   */
  otherEnvs: OtherEnvs;
}

export interface CommitLiveChangeInput {
  target: TargetSnapshot;
  changes: LiveChange[];
  /** As in planGitEdits. When absent, the patch applied to what Git renders stands in for live. */
  liveAfter?: KubeObject[];
  requester: PersonRef;
  reason: string;
  incidentId?: string;
  /** Workflow run id; recorded as the `Rewind-Run` trailer and used to find this run's commit again. */
  runId: string;
  /**
   * For commits that are not emergency changes (a drill's bad promotion): their own subject, body
   * and `Rewind-Change` value.
   */
  message?: { subject: string; body: string; change: string };
}

export interface CommitLiveChangeResult {
  /** The run's commit, or the branch tip when Git already rendered the live values. */
  sha: string;
  /** True when no new commit was made: this run's commit was already pushed, or Git already held the change. */
  reused: boolean;
  /** Push attempts made by this call. */
  attempts: number;
  /** Files the commit changed (empty when Git already held the change). */
  files: string[];
  /** The run's own branch the commit went to, for a pull request (repos.<name>.pullRequests); else unset. */
  branch?: string;
}

export interface LiveChangeOptions {
  /** Push attempts per activity attempt before a retryable PushRejected. @default 5 */
  maxPushAttempts?: number;
  /** First backoff after a rejected push, doubled each time. @default 200 */
  backoffMs?: number;
  /** How far back the branch is searched for this run's commit. @default 500 */
  runSearchDepth?: number;
  /** kustomize binary. @default renderManifests' own lookup */
  kustomize?: string;
  /** Test seam: runs right before each push, e.g. to let another clone push first. */
  beforePush?: (info: { attempt: number; sha: string }) => Promise<void>;
}

function assertChanges(changes: unknown): asserts changes is LiveChange[] {
  if (!Array.isArray(changes) || changes.length === 0) throw badInput('there are no live changes to carry to Git');
  for (const c of changes as LiveChange[]) {
    const o = c?.object;
    const ok =
      o &&
      [o.apiVersion, o.kind, o.name].every((v) => typeof v === 'string' && v.trim() !== '') &&
      typeof o.namespace === 'string';
    if (!ok) throw badInput('each live change needs object.apiVersion, kind, namespace and name');
    if (c.patchType !== 'merge' && c.patchType !== 'strategic')
      throw badInput(`patchType of ${o.kind}/${o.name} must be "merge" or "strategic"`);
    if (c.patch === null || typeof c.patch !== 'object' || Array.isArray(c.patch))
      throw badInput(`the patch for ${o.kind}/${o.name} must be an object`);
  }
}

const planOptions = (target: TargetSnapshot, options: LiveChangeOptions): PlanOptions => ({
  defaultNamespace: target.namespace,
  ...(options.kustomize ? { kustomize: options.kustomize } : {}),
});

const describeRemaining = (remaining: readonly RemainingField[]): string =>
  remaining
    .map(
      (r) =>
        `${r.object}${r.path} (Git: ${JSON.stringify(r.desired) ?? 'absent'}, ` +
        `live: ${JSON.stringify(r.live) ?? 'absent'})`,
    )
    .join(', ');

export function createPlanGitEdits(store: CloneStore, options: LiveChangeOptions = {}) {
  return async function planGitEdits(input: PlanGitEditsInput): Promise<PlanGitEditsResult> {
    assertChanges(input.changes);
    if (!Array.isArray(input.liveAfter))
      throw badInput('planGitEdits needs the live objects after the patch (liveAfter)');
    return refusingUnsafeInput(() =>
      store.use(
        input.target.repo.url,
        async (clone) => {
          const co = await checkout(clone, input.target);
          heartbeat({ step: 'planGitEdits', base: co.tip });
          return clone.withWorktree(co.tip, async (dir) => {
            const plan = await planLiveChangeIn(
              dir,
              co.envPath,
              input.changes,
              input.liveAfter,
              planOptions(input.target, options),
            );
            // A git bound to the worktree; --no-ext-diff/--no-textconv: no configured program runs
            // on repository content.
            const wt = gitAt(dir, { config: ['core.quotePath=false'] });
            // Intent to add, so a new patch file shows in the diff too (the worktree is thrown away).
            if (plan.files.length > 0) await wt.raw(['add', '--intent-to-add', '--', ...plan.files.map(literal)]);
            const diff =
              plan.files.length === 0
                ? ''
                : await wt.raw([
                    'diff',
                    '--no-color',
                    '--no-ext-diff',
                    '--no-textconv',
                    '--',
                    ...plan.files.map(literal),
                  ]);
            return {
              base: co.tip,
              edits: plan.edits,
              diff,
              rendersLive: plan.rendersLive,
              remaining: plan.remaining,
              otherEnvs: plan.otherEnvs,
            };
          });
        },
        whileQueued('planGitEdits'),
      ),
    );
  };
}

export function createCommitLiveChange(store: CloneStore, options: LiveChangeOptions = {}) {
  const maxPushAttempts = options.maxPushAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 200;
  const runSearchDepth = options.runSearchDepth ?? 500;

  /** Builds the commit on `base` in the clone; undefined when `base` already renders the live values. */
  async function commitOn(
    co: Checkout<CachedClone>,
    input: CommitLiveChangeInput,
    base: string,
  ): Promise<{ sha: string; files: string[] } | undefined> {
    const { git, dir } = co.clone;
    await git.raw(['checkout', '--force', '--quiet', '-B', WORK_BRANCH, base]);
    const opts = planOptions(input.target, options);
    if ((await compareWithLive(dir, co.envPath, input.changes, input.liveAfter, opts)).length === 0) return undefined;
    const plan = await planLiveChangeIn(dir, co.envPath, input.changes, input.liveAfter, opts);
    if (!plan.rendersLive || plan.files.length === 0) {
      throw badInput(
        `on ${co.branch} at ${base.slice(0, 12)}, the edits would not make Git render the live state: ` +
          `${describeRemaining(plan.remaining)}; nothing was pushed. ` +
          `Name the place with --git-file <path> --git-path <yaml.path>.`,
        { base, remaining: plan.remaining, edits: plan.edits },
      );
    }
    await git.raw(['add', '--', ...plan.files.map(literal)]);
    // Via a file, not -m: the reason is free text from Slack or a terminal and stays message text only.
    const messageFile = path.join(dir, '.git', 'REWIND_LIVE_CHANGE_MSG');
    await writeFile(
      messageFile,
      liveChangeMessage({
        changes: input.changes,
        edits: plan.edits,
        reason: input.reason,
        runId: input.runId,
        requestedBy: input.requester.handle,
        ...(input.incidentId ? { incidentId: input.incidentId } : {}),
        ...(input.message ?? {}),
      }),
    );
    await git.raw([
      'commit',
      '--quiet',
      '--no-verify',
      '--cleanup=whitespace',
      `--author=${formatIdent('requester', input.requester)}`,
      '-F',
      messageFile,
    ]);
    return { sha: (await git.raw(['rev-parse', 'HEAD'])).trim(), files: plan.files };
  }

  async function commit(clone: CachedClone, input: CommitLiveChangeInput): Promise<CommitLiveChangeResult> {
    const co = await checkout(clone, input.target);
    const { git } = clone;
    let base = co.tip;
    let attempts = 0;
    // Through a pull request: the commit goes to the run's own branch, where a retry finds it.
    const to = input.target.repo.pullRequests ? runBranch(input.runId) : undefined;
    const pushedTo = to ? { branch: to } : {};
    for (;;) {
      const onRunBranch = to ? await mineOnRunBranch(clone, to, base, input.runId) : [];
      if (onRunBranch[0])
        return {
          sha: onRunBranch[0],
          reused: true,
          attempts,
          files: await changedFiles(git, onRunBranch[0]),
          ...pushedTo,
        };
      const mine = await commitsForRun(git, base, input.runId, runSearchDepth);
      if (mine[0]) return { sha: mine[0], reused: true, attempts, files: await changedFiles(git, mine[0]) };
      const made = await commitOn(co, input, base);
      if (!made) return { sha: base, reused: true, attempts, files: [] };
      attempts += 1;
      heartbeat({ step: 'commitLiveChange', attempt: attempts, base });
      await options.beforePush?.({ attempt: attempts, sha: made.sha });
      const pushed = await pushHead(git, to ?? co.branch);
      if (pushed.kind === 'pushed') return { sha: made.sha, reused: false, attempts, files: made.files, ...pushedTo };
      // Drop the unpushed commit: the clone keeps nothing of value between uses.
      await git.raw(['checkout', '--force', '--quiet', '-B', WORK_BRANCH, base]);
      await clone.clean();
      if (pushed.kind === 'refused') {
        throw pushRefused(
          `${redactCredentials(clone.url)} refused the push to ${to ?? co.branch}; ` +
            `nothing was pushed. Git said:\n${pushed.message}\n` +
            'Ask the repository owners (hook, branch protection, permissions), or ' +
            'commit the change by hand; auto-sync stays paused until Git holds it.' +
            (to ? '' : prModeHint(input.target.repo.name)),
          { branch: to ?? co.branch, files: made.files, gitMessage: pushed.message },
        );
      }
      if (attempts >= maxPushAttempts) {
        throw pushRejected(
          `push of the emergency change to ${co.branch} was ` +
            `rejected ${attempts} times: others keep pushing; will retry`,
          { attempts, branch: co.branch },
        );
      }
      await sleep(backoffMs * 2 ** (attempts - 1));
      await clone.fetch();
      const tip = await resolveCommit(git, co.clone.branchRef(co.branch));
      if (!tip)
        throw badInput(`branch ${co.branch} disappeared from ${redactCredentials(clone.url)} while committing`, {
          branch: co.branch,
        });
      base = tip;
    }
  }

  return async function commitLiveChange(input: CommitLiveChangeInput): Promise<CommitLiveChangeResult> {
    assertChanges(input.changes);
    return refusingUnsafeInput(async () => {
      assertTrailerValue('runId', input.runId);
      assertTrailerValue('requester.handle', input.requester.handle);
      if (input.incidentId !== undefined) assertTrailerValue('incidentId', input.incidentId);
      formatIdent('requester', input.requester);
      return store.use(
        input.target.repo.url,
        async (clone) => {
          try {
            return await commit(clone, input);
          } catch (err) {
            await clone.clean().catch(() => undefined);
            throw err;
          }
        },
        whileQueued('commitLiveChange'),
      );
    });
  };
}
