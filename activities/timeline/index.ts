/**
 * The postmortem: when a run ends, its timeline (the same document `rewind timeline` exports, with
 * the Kubernetes Events and config-repo commits around the run) is committed as Markdown to the
 * repository rewind.yaml names under `postmortems:`, so the record lives where the team reviews it.
 */
import path from 'node:path';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { endedRunDocument } from '../../src/lib/timeline/build.js';
import { exportTimeline } from '../../src/lib/timeline/index.js';
import type { RunResult, TargetSnapshot } from '../../workflows/types.js';
import type { CommitFileInput, CommitFileResult } from '../git/index.js';

export interface TimelineActivityDeps {
  clusters: Clusters;
  sources: GitSourceCache;
  commitFile: (input: CommitFileInput) => Promise<CommitFileResult>;
}

export interface CommitPostmortemInput {
  workflowId: string;
  /** `<workflow id>/<first run id>`: the trailer that makes the commit idempotent, and the file name's suffix. */
  runKey: string;
  result: RunResult;
  target: TargetSnapshot;
}

/** The first run id of the chain: the last segment of the run key. */
const firstRunId = (runKey: string): string => runKey.split('/').at(-1) ?? '';

/** `<path>/<start date>-<app>-<env>-<first 8 of the run id>.md`: fixed by the run, so a retry finds its own file. */
export function postmortemFile(dir: string, result: RunResult, runKey: string): string {
  const run = firstRunId(runKey).slice(0, 8);
  return path.posix.join(dir, `${result.startedAt.slice(0, 10)}-${result.app}-${result.env}-${run}.md`);
}

export function createTimelineActivities(deps: TimelineActivityDeps) {
  return {
    async commitPostmortem(input: CommitPostmortemInput): Promise<CommitFileResult> {
      const { result, target } = input;
      const pm = target.postmortems;
      if (!pm) throw new Error(`${target.app}/${target.env} has no postmortems repository in rewind.yaml`);
      // The run's own last record closes it: the same document on every attempt.
      const closedAt = result.timeline.at(-1)?.at ?? result.startedAt;
      const doc = await endedRunDocument(
        {
          kube: (cluster) => clusterConfig(deps.clusters, cluster),
          repo: (name) => {
            if (name !== target.repo.name) throw new Error(`repo "${name}" is not the run's repo`);
            return target.repo;
          },
          sources: () => deps.sources,
        },
        { workflowId: input.workflowId, runId: firstRunId(input.runKey), result, target, closedAt },
        { now: () => new Date(closedAt) },
      );
      return deps.commitFile({
        repo: pm.repo,
        file: postmortemFile(pm.path, result, input.runKey),
        content: exportTimeline(doc, 'md'),
        subject: `postmortem: ${result.app}/${result.env} ${result.phase} (${input.workflowId})`,
        runId: input.runKey,
      });
    },
  };
}
