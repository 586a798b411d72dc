/**
 * Every side effect rewind performs, one module per outside system. The worker builds them
 * from its clients; workflows see only the type.
 */
import { createDriftActivities, type DriftDeps } from './drift/index.js';
import { createDrillActivities, type DrillScoreSink } from './drills/index.js';
import { createGitActivities } from './git/index.js';
import { createForgeActivities } from './forge/index.js';
import { createGitOpsActivities, type GitOpsDeps } from './gitops/index.js';
import { createLiveActivities } from './live/index.js';
import { createSlackActivities, type SlackDeps } from './slack/index.js';
import { createWatchActivities } from './watch/index.js';
import { createVerificationActivities } from './verification/index.js';
import { createPromotionActivities } from './promotion/index.js';
import { createRegistryActivities } from './registry/index.js';
import { createTimelineActivities } from './timeline/index.js';
import { withKubeAuthFailures } from './kube-failures.js';
import { instrumentActivities, type ActivityMetricsSink } from '../src/lib/metrics/instrument-activities.js';

export interface ActivityDeps extends DriftDeps, GitOpsDeps, SlackDeps {
  cacheDir: string;
  /** When set, every activity attempt is timed (rewind_activity_duration_seconds, src/lib/metrics/). */
  metrics?: ActivityMetricsSink;
}

export function createActivities(deps: ActivityDeps) {
  const git = createGitActivities({ cacheDir: deps.cacheDir, sources: deps.sources });
  const isAncestor = (repoUrl: string, ancestor: string, descendant: string) =>
    git.commitContains({ repoUrl, ancestor, descendant });
  // A refused credential or a missing RBAC right fails at once, with the fix (kube-failures.ts).
  return instrumentActivities(
    withKubeAuthFailures({
      ...git,
      ...createForgeActivities(),
      ...createGitOpsActivities({ isAncestor, ...deps }),
      ...createDriftActivities(deps),
      ...createLiveActivities(deps),
      ...createDrillActivities({
        ...deps,
        commitLiveChange: (input) => git.commitLiveChange(input),
        ...(deps.metrics && 'recordDrill' in deps.metrics
          ? { drillScores: deps.metrics as unknown as DrillScoreSink }
          : {}),
      }),
      ...createSlackActivities(deps),
      ...createWatchActivities(deps),
      ...createVerificationActivities(deps),
      ...createPromotionActivities(deps),
      ...createRegistryActivities(),
      ...createTimelineActivities({ ...deps, commitFile: (input) => git.commitFile(input) }),
    }),
    deps.metrics,
  );
}

export type Activities = ReturnType<typeof createActivities>;
