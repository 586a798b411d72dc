/**
 * findPromotion: the commit a rollback should revert, described by layer. Either the commit the
 * requester named (checked: it exists on the branch and touches the environment), or the newest
 * commit that changed a container image in the environment's rendered output.
 */
import type { PromotionDescription, TargetSnapshot } from '../../workflows/types.js';
import {
  changedFiles,
  commitInfo,
  isAncestor,
  literal,
  pathType,
  resolveCommit,
  type CommitInfo,
} from '../../src/lib/git/git-read.js';
import { kustomizeSourcePaths } from '../../src/lib/git/kustomize-sources.js';
import { createRenderAt, type RenderAt } from '../../src/lib/git/render-at-revision.js';
import type { ReadView } from '../../src/lib/git/read-view.js';
import { isShaPrefix } from '../../src/lib/git/sha.js';
import { assertBranchName, normalizeRepoPath } from '../../src/lib/git/validate.js';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { RenderError } from '../../src/lib/gitops/render.js';
import { describePromotion } from './describe-promotion.js';
import { badInput, noPromotion, refusingUnsafeInput } from './failures.js';
import { heartbeat } from '../heartbeat.js';

export interface FindPromotionInput {
  target: TargetSnapshot;
  /** Describe this commit instead of searching (`--to <sha>`). */
  commit?: string;
}

export interface FindPromotionOptions {
  /** How many commits touching the environment to inspect before giving up. @default 100 */
  maxCandidates?: number;
  /** kustomize binary. @default renderManifests' own lookup */
  kustomize?: string;
}

/** Validated target fields, and the branch tip every answer is relative to. */
export interface Checkout<V extends ReadView = ReadView> {
  clone: V;
  branch: string;
  envPath: string;
  tip: string;
}

/** Resolves the branch on a freshly fetched mirror or clone; BadInput when the branch or path is missing. */
export async function checkout<V extends ReadView>(clone: V, target: TargetSnapshot): Promise<Checkout<V>> {
  const { branch } = target.repo;
  const envPath = normalizeRepoPath('path', target.path);
  assertBranchName(branch);
  const tip = await resolveCommit(clone.git, clone.branchRef(branch));
  if (!tip)
    throw badInput(
      `branch "${branch}" does not exist in ${target.repo.url}; fix repos.${target.repo.name}.branch in rewind.yaml`,
      { branch },
    );
  if ((await pathType(clone.git, tip, envPath)) !== 'tree') {
    throw badInput(
      `${target.app}/${target.env}: path "${envPath}" is not a directory ` +
        `on ${branch} of ${target.repo.url}; fix its path in rewind.yaml`,
      { path: envPath },
    );
  }
  return { clone, branch, envPath, tip };
}

/** Resolves a requested sha to a single-parent commit on the branch; BadInput otherwise. */
export async function requestedCommit(co: Checkout, requested: string): Promise<string> {
  return (await requestedCommitInfo(co, requested)).sha;
}

export interface RequestedCommitOptions {
  /** Shas already known to be on the branch (read from its history): no ancestry check for these. */
  onBranch?: ReadonlySet<string>;
  /** How to read the commit's info. @default commitInfo (`git show -s`) */
  info?: (sha: string) => Promise<CommitInfo>;
}

/** requestedCommit, with what `git show` says about the commit (its subject, author, parents). */
export async function requestedCommitInfo(
  co: Checkout,
  requested: string,
  options: RequestedCommitOptions = {},
): Promise<CommitInfo> {
  const hint = 'pass the full or abbreviated (7+ hex) sha of a commit on that branch';
  if (!isShaPrefix(requested)) throw badInput(`"${requested}" is not a commit sha; ${hint}`, { commit: requested });
  const sha = await resolveCommit(co.clone.git, requested);
  if (!sha) throw badInput(`commit ${requested} does not exist in ${co.clone.url}; ${hint}`, { commit: requested });
  if (!options.onBranch?.has(sha) && !(await isAncestor(co.clone.git, sha, co.tip))) {
    throw badInput(
      `commit ${requested} is not on branch ${co.branch}, so reverting it would not change what is deployed; ${hint}`,
      { commit: sha },
    );
  }
  const info = await (options.info ?? ((s: string) => commitInfo(co.clone.git, s)))(sha);
  if (info.parents.length !== 1) {
    throw badInput(
      `commit ${requested} is ${info.parents.length === 0 ? 'the first commit' : 'a merge commit'}; ` +
        `pick the commit that made the change`,
      { commit: sha },
    );
  }
  return info;
}

const renderFailure = (sha: string, err: RenderError) =>
  badInput(`cannot render ${err.relPath} around commit ${sha.slice(0, 12)}: ${err.message}`, {
    commit: sha,
    path: err.relPath,
  });

export function createFindPromotion(sources: GitSourceCache, options: FindPromotionOptions = {}) {
  const maxCandidates = options.maxCandidates ?? 100;
  const renderOptions = options.kustomize ? { kustomize: options.kustomize } : {};

  async function explicit(
    co: Checkout,
    target: TargetSnapshot,
    requested: string,
    renderAt: RenderAt,
  ): Promise<PromotionDescription> {
    const info = await requestedCommitInfo(co, requested);
    const { sha } = info;
    const paths = await kustomizeSourcePaths(co.clone.git, co.tip, co.envPath);
    if ((await changedFiles(co.clone.git, sha, paths)).length === 0) {
      throw badInput(
        `commit ${requested} does not touch ${target.app}/${target.env}` +
          ` (searched ${paths.join(', ')}); pick a commit that changed one of them`,
        { commit: sha, paths },
      );
    }
    try {
      return await describePromotion(target, info, renderAt);
    } catch (err) {
      if (err instanceof RenderError) throw renderFailure(sha, err);
      throw err;
    }
  }

  async function search(co: Checkout, target: TargetSnapshot, renderAt: RenderAt): Promise<PromotionDescription> {
    const { git } = co.clone;
    const paths = await kustomizeSourcePaths(git, co.tip, co.envPath);
    const log = await git.raw([
      'log',
      '--no-merges',
      '--format=%H',
      `--max-count=${maxCandidates}`,
      co.tip,
      '--',
      ...paths.map(literal),
    ]);
    const candidates = log.split('\n').filter(Boolean);
    const unrenderable: string[] = [];
    for (const [i, sha] of candidates.entries()) {
      heartbeat({ step: 'findPromotion', inspected: i, of: candidates.length });
      const info = await commitInfo(git, sha);
      if (info.parents.length !== 1) continue; // the first commit adds everything; it promotes nothing
      try {
        const d = await describePromotion(target, info, renderAt);
        if (d.images.length > 0) return d;
      } catch (err) {
        // A commit that broke rendering was not a promotion that shipped; look further back.
        if (!(err instanceof RenderError)) throw err;
        unrenderable.push(sha);
      }
    }
    const scope =
      candidates.length === maxCandidates ? `the last ${maxCandidates} commits` : `all ${candidates.length} commits`;
    throw noPromotion(
      `no commit changed a container image of ${target.app}/${target.env}: ` +
        `searched ${scope} on ${co.branch} touching ${paths.join(', ')}` +
        `${unrenderable.length ? ` (${unrenderable.length} could not be rendered)` : ''}. ` +
        'To roll back another kind of change, name the commit: rewind rollback … --to <sha> (/rollback … --to <sha>).',
      { paths, branch: co.branch, inspected: candidates.length, unrenderable },
    );
  }

  /** Enough for any promotion a person reviews; the plan says when a commit changed more. */
  const MAX_FILES = 200;

  return async function findPromotion(input: FindPromotionInput): Promise<PromotionDescription> {
    const { target, commit } = input;
    return refusingUnsafeInput(() =>
      sources.get(target.repo.url).read(async (clone) => {
        const co = await checkout(clone, target);
        const renderAt = createRenderAt(clone, co.envPath, renderOptions);
        const d =
          commit !== undefined ? await explicit(co, target, commit, renderAt) : await search(co, target, renderAt);
        // Every file it changed, beyond the environment's: a migration it shipped may live elsewhere.
        const files = await changedFiles(clone.git, d.sha);
        return {
          ...d,
          files: files.slice(0, MAX_FILES),
          ...(files.length > MAX_FILES ? { filesTruncated: true } : {}),
        };
      }),
    );
  };
}
