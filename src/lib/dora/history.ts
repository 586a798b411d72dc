/**
 * The records `rewind dora` reads for one app/env: the config repo's commits to the environment's
 * sources (git log on a mirror), the engine's deployment history (its CR, through the Kubernetes
 * API), and rewind's rollback and emergency runs of the target (Temporal visibility and each
 * run's returned status). Drill runs have their own workflow ids and are never read here.
 */
import type { Client } from '@temporalio/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { engineFor } from '../../../activities/gitops/engines.js';
import { literal, resolveCommit } from '../git/git-read.js';
import { kustomizeSourcePaths } from '../git/kustomize-sources.js';
import { TRAILER } from '../git/revert-message.js';
import type { Git } from '../git/run-git.js';
import { assertBranchName, normalizeRepoPath } from '../git/validate.js';
import type { GitSourceCache } from '../gitops/git-source.js';
import { RewindRunbook } from '../temporal/search-attributes.js';
import { statusQuery } from '../../../workflows/messages.js';
import { runWorkflowId, type RunResult, type RunStatus, type TargetSnapshot } from '../../../workflows/types.js';
import type { ConfigChange, EngineDeployment, RestoreRun } from './model.js';

const FIELD = '\x1f',
  RECORD = '\x1e';
const REVERTS = /^This reverts commit ([0-9a-f]{40})\b/m;

async function logShas(git: Git, rev: string, since: string, paths: string[]): Promise<string[]> {
  const out = await git.raw(['log', '--no-merges', '--format=%H', `--since=${since}`, rev, '--', ...paths]);
  return out.split('\n').filter(Boolean);
}

/**
 * The environment's commits since `since` (newest first), and for each engine record the commits
 * its revision contains: one clone read for both, so they agree on the branch's history.
 */
export async function gitRecords(
  sources: GitSourceCache,
  target: TargetSnapshot,
  since: string,
  engine: ReadonlyArray<Omit<EngineDeployment, 'includes'>>,
): Promise<{ changes: ConfigChange[]; deployments: EngineDeployment[] }> {
  assertBranchName(target.repo.branch);
  const envPath = normalizeRepoPath('path', target.path);
  return sources.get(target.repo.url).read(async (clone) => {
    const git = clone.git;
    const tip = clone.branchRef(target.repo.branch);
    const paths = (await kustomizeSourcePaths(git, tip, envPath)).map(literal);
    const out = await git.raw([
      'log',
      '--no-merges',
      `--since=${since}`,
      `--format=%H${FIELD}%an <%ae>${FIELD}%cI${FIELD}%s${FIELD}` +
        `%(trailers:key=${TRAILER.run},valueonly,separator=%x2C)${FIELD}%b${RECORD}`,
      tip,
      '--',
      ...paths,
    ]);
    const changes = out
      .split(RECORD)
      .map((r) => r.replace(/^\n/, ''))
      .filter((r) => r.trim())
      .map((r): ConfigChange => {
        const [sha = '', author = '', at = '', subject = '', run = '', body = ''] = r.split(FIELD);
        const reverts = REVERTS.exec(body)?.[1];
        const kind = run.trim() ? 'rewind' : /^Revert "/.test(subject) ? 'revert' : 'promotion';
        return { sha, author, at: new Date(at).toISOString(), subject, kind, ...(reverts ? { reverts } : {}) };
      });
    const deployments: EngineDeployment[] = [];
    for (const d of engine) {
      // A revision the mirror does not hold (force-pushed away) contains nothing the report can name.
      const includes = (await resolveCommit(git, d.revision)) ? await logShas(git, d.revision, since, paths) : [];
      deployments.push({ ...d, includes });
    }
    return { changes, deployments };
  });
}

/** The engine's own records of what it applied, newest first, then its current revision. */
export function engineRecords(kc: KubeConfig, target: TargetSnapshot): Promise<Omit<EngineDeployment, 'includes'>[]> {
  return engineFor(kc, target.engine).deployments();
}

/** The promotion a run acted on, what it committed, and when it was detected, from its status and timeline. */
function restoreRun(workflowId: string, runId: string, s: RunStatus, timeline: RunResult['timeline']): RestoreRun {
  const detectedAt = timeline.find((e) => e.kind === 'alert')?.at;
  const commit = s.revertSha ?? s.commitSha;
  return {
    workflowId,
    runId: s.runId ?? runId,
    runbook: s.runbook,
    phase: s.phase,
    startedAt: s.startedAt,
    ...(detectedAt ? { detectedAt } : {}),
    ...(s.restoredAt ? { restoredAt: s.restoredAt } : {}),
    ...(s.plan?.promotion.sha ? { promotion: s.plan.promotion.sha } : {}),
    ...(commit ? { commit } : {}),
  };
}

/**
 * The target's runs started since `since`: a closed run from the status it returned, an open one
 * from its status query. A run stopped from outside (terminated, timed out) returned nothing and
 * is listed by its Temporal status.
 */
export async function restoreRuns(client: Client, target: TargetSnapshot, since: string): Promise<RestoreRun[]> {
  const id = runWorkflowId(target.app, target.env);
  const runs: RestoreRun[] = [];
  const query = `WorkflowType = 'runbookWorkflow' AND WorkflowId = '${id}' AND StartTime >= '${since}'`;
  for await (const wf of client.workflow.list({ query })) {
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    if (wf.status.name === 'COMPLETED') {
      const r = (await handle.result()) as RunResult;
      runs.push(restoreRun(wf.workflowId, wf.runId, r, r.timeline ?? []));
    } else if (wf.status.name === 'RUNNING') {
      const s = await handle.query(statusQuery).catch(() => undefined);
      if (s) runs.push(restoreRun(wf.workflowId, wf.runId, s, []));
    } else if (wf.status.name !== 'CONTINUED_AS_NEW') {
      // (A run that continued as new is carried on by its chain's newer run, listed too.)
      runs.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        runbook: wf.typedSearchAttributes.get(RewindRunbook) ?? 'unknown',
        phase: wf.status.name.toLowerCase(),
        startedAt: wf.startTime.toISOString(),
      });
    }
  }
  return runs;
}
