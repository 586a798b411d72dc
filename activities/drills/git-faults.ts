/**
 * The rollback drill's fault: a promotion of a known-bad image tag to the drill target, pushed
 * through the same located, comment-preserving Git edit as the emergency path (the overlay's
 * `images:` newTag for kustomize), and idempotent by the drill run's trailer.
 */
import type { TargetSnapshot, LiveChange } from '../../workflows/types.js';
import { DRILL_PERSON } from '../../workflows/drills/drill-person.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { readObject } from '../../src/lib/kube/rest-pool.js';

type CommitLiveChange = (input: {
  target: TargetSnapshot;
  changes: LiveChange[];
  requester: typeof DRILL_PERSON;
  reason: string;
  runId: string;
  message: { subject: string; body: string; change: string };
}) => Promise<{ sha: string; reused: boolean }>;

export function createGitFaultActivities(deps: { clusters: Clusters; commitLiveChange: CommitLiveChange }) {
  return {
    async pushDrillPromotion({
      target,
      tag,
      runId,
      drill,
    }: {
      target: TargetSnapshot;
      tag: string;
      runId: string;
      drill: string;
    }): Promise<{ sha: string; image: string; at: string }> {
      const workload = target.workloads.find((w) => w.startsWith('deployment/'));
      if (!workload) throw new Error(`${target.app}/${target.env} lists no deployment to promote a bad image to`);
      const name = workload.slice('deployment/'.length);
      const d = await readObject<{
        spec?: { template?: { spec?: { containers?: Array<{ name: string; image?: string }> } } };
      }>(clusterConfig(deps.clusters, target.cluster), 'apps/v1', 'Deployment', target.namespace, name);
      const container =
        d?.spec?.template?.spec?.containers?.find((c) => c.name === name) ?? d?.spec?.template?.spec?.containers?.[0];
      if (!container?.image) throw new Error(`deployment/${name} has no container image to replace`);
      const image = `${container.image.replace(/[:@][^:/@]+$/, '')}:${tag}`;
      const change: LiveChange = {
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: target.namespace, name },
        patchType: 'strategic',
        patch: { spec: { template: { spec: { containers: [{ name: container.name, image }] } } } },
      };
      const res = await deps.commitLiveChange({
        target,
        changes: [change],
        requester: DRILL_PERSON,
        reason: `game-day drill ${drill}: a known-bad promotion the rollback runbook must undo`,
        runId,
        message: {
          subject: `promote ${target.app} ${tag} to ${target.env} (game-day drill ${drill})`,
          body:
            'A deliberate bad promotion pushed by a rewind game-day drill; ' +
            'the drill reverts it and verifies the environment is back.',
          change: 'drill-fault',
        },
      });
      return { sha: res.sha, image, at: new Date().toISOString() };
    },
  };
}
