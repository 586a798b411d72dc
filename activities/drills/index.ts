/** Activities only drills use: fault injections, the pre/post-drill state, and the access audit. */
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import type { Clusters } from '../../src/lib/kube/clusters.js';
import type { Scorecard } from '../../workflows/drills/types.js';
import { createAccessAuditActivities } from './access-audit.js';
import { createGitFaultActivities } from './git-faults.js';
import { createTargetStateActivities } from './target-state.js';
import { createWorkloadFaultActivities } from './workload-faults.js';

export interface DrillScoreSink {
  recordDrill(result: { app: string; env: string; drill: string; score: number; at?: Date }): void;
}

export interface DrillDeps {
  clusters: Clusters;
  sources: GitSourceCache;
  cacheDir: string;
  commitLiveChange: Parameters<typeof createGitFaultActivities>[0]['commitLiveChange'];
  /** Where drill scores go (the Prometheus gauges in src/lib/metrics), when this worker exports metrics. */
  drillScores?: DrillScoreSink;
}

export function createDrillActivities(deps: DrillDeps) {
  return {
    ...createAccessAuditActivities(deps),
    ...createWorkloadFaultActivities(deps),
    ...createTargetStateActivities(deps),
    ...createGitFaultActivities(deps),
    /** The share of a scorecard's checks that held (cleanup verification counts as one), for the drill-score gauge. */
    async recordDrillScore({ card }: { card: Scorecard }): Promise<{ score: number | null }> {
      if (card.outcome === 'skipped') return { score: null };
      const checks = [...card.checks.map((c) => c.passed), card.cleanup.verified];
      const score = checks.filter(Boolean).length / checks.length;
      deps.drillScores?.recordDrill({
        app: card.app ?? 'cluster',
        env: card.env ?? 'all',
        drill: card.drill,
        score,
        at: new Date(card.endedAt ?? Date.now()),
      });
      return { score };
    },
  };
}
