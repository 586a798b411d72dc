/**
 * `rewind pauses`: every configured app environment whose auto-sync is off, with the lease
 * when rewind paused it, and flagged when nobody holds a lease (paused by hand, or a run was
 * terminated) or the lease has expired: each of those is a live change Git may not hold.
 */
import type { RewindConfig } from './config/schema.js';
import { engineFor } from '../../activities/gitops/engines.js';
import { clusterConfig, type Clusters } from './kube/clusters.js';
import { targetSnapshot } from './runs.js';
import type { PauseLease } from '../../workflows/types.js';

export interface PauseRow {
  app: string;
  env: string;
  engine: string;
  lease?: PauseLease;
  flag?: 'no-lease' | 'lease-expired';
  error?: string;
}

export async function listPauses(cfg: RewindConfig, clusters: Clusters, now = new Date()): Promise<PauseRow[]> {
  const rows: PauseRow[] = [];
  for (const [app, appCfg] of Object.entries(cfg.apps)) {
    for (const env of Object.keys(appCfg.environments)) {
      const target = targetSnapshot(cfg, app, env);
      const engine = `${target.engine.kind} ${target.engine.namespace}/${target.engine.name}`;
      try {
        const info = await engineFor(clusterConfig(clusters, target.cluster), target.engine).pauseInfo();
        if (info.autoSync) continue;
        const flag = !info.lease
          ? 'no-lease'
          : Date.parse(info.lease.expiresAt) < now.getTime()
            ? 'lease-expired'
            : undefined;
        rows.push({ app, env, engine, ...(info.lease ? { lease: info.lease } : {}), ...(flag ? { flag } : {}) });
      } catch (err) {
        rows.push({ app, env, engine, error: (err as Error).message });
      }
    }
  }
  return rows;
}
