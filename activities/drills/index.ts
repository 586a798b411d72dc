/** Activities only drills use: fault injections, the pre/post-drill state, and the access audit. */
import type { GitSourceCache } from '../../src/gitops/git-source.js';
import type { Clusters } from '../../src/kube/clusters.js';
import { createAccessAuditActivities } from './access-audit.js';
import { createGitFaultActivities } from './git-faults.js';
import { createTargetStateActivities } from './target-state.js';
import { createWorkloadFaultActivities } from './workload-faults.js';

export interface DrillDeps { clusters: Clusters; sources: GitSourceCache; cacheDir: string; commitLiveChange: Parameters<typeof createGitFaultActivities>[0]['commitLiveChange'] }

export function createDrillActivities(deps: DrillDeps) {
  return {
    ...createAccessAuditActivities(deps),
    ...createWorkloadFaultActivities(deps),
    ...createTargetStateActivities(deps),
    ...createGitFaultActivities(deps),
  };
}
