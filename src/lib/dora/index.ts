/**
 * DORA keys per app/env from GitOps history (`rewind dora`): reads the records (./history.ts) and
 * computes the keys from them (./keys.ts).
 *
 * ```ts
 * const reports = await doraReports({ rw }, { app: 'users-api', env: 'prod', from: new Date(Date.now() - 30 * DAY) });
 * process.stdout.write(exportDora(reports, 'md'));
 * ```
 */
import path from 'node:path';
import { resolveTarget } from '../config/load.js';
import type { RewindConfig } from '../config/schema.js';
import { GitSourceCache } from '../gitops/git-source.js';
import { clusterConfig, clustersFromConfig, type Clusters } from '../kube/clusters.js';
import { shown } from '../input-limits.js';
import { RefusedError } from '../refused.js';
import { targetSnapshot, type Rewind } from '../runs.js';
import { cacheDir } from '../tools/binaries.js';
import { engineRecords, gitRecords, restoreRuns } from './history.js';
import { doraReport } from './keys.js';
import type { DoraReport } from './model.js';

export { exportDora } from './export.js';
export { DORA_FORMATS, type DoraFormat, type DoraReport } from './model.js';

export interface DoraDeps {
  rw: Rewind;
  clusters?: Clusters;
  sources?: GitSourceCache;
}

export interface DoraOptions {
  /** Every app when absent. */
  app?: string;
  /** Every environment of the app(s) when absent. */
  env?: string;
  /** The window's start (its end is now). */
  from: Date;
  failureWindowMs: number;
  now?: Date;
}

/** The app/env pairs asked for; an unknown app or environment is refused with what exists. */
export function doraTargets(cfg: RewindConfig, opts: Pick<DoraOptions, 'app' | 'env'>): Array<[string, string]> {
  const refuse = (err: unknown) => new RefusedError((err as Error).message, 'unknown-target');
  if (opts.app) {
    const app = opts.app;
    try {
      // Validates the app, and the environment when one is named.
      if (opts.env !== undefined) return [[app, resolveTarget(cfg, app, opts.env).envName]];
      if (!Object.hasOwn(cfg.apps, app)) resolveTarget(cfg, app);
    } catch (err) {
      throw refuse(err);
    }
    return Object.keys(cfg.apps[app]!.environments).map((env) => [app, env]);
  }
  const pairs = Object.entries(cfg.apps).flatMap(([app, a]) =>
    Object.keys(a.environments)
      .filter((env) => opts.env === undefined || env === opts.env)
      .map((env): [string, string] => [app, env]),
  );
  if (!pairs.length)
    throw new RefusedError(
      opts.env === undefined
        ? 'rewind.yaml has no apps'
        : `no app in rewind.yaml has an environment ${shown(opts.env, 60)}`,
      'unknown-target',
    );
  return pairs;
}

export async function doraReports(deps: DoraDeps, opts: DoraOptions): Promise<DoraReport[]> {
  const pairs = doraTargets(deps.rw.cfg, opts);
  const to = (opts.now ?? new Date()).toISOString();
  const from = opts.from.toISOString();
  const clusters = (deps.clusters ??= clustersFromConfig(deps.rw.cfg));
  const sources = (deps.sources ??= new GitSourceCache(path.join(cacheDir(), 'timeline')));
  const reports: DoraReport[] = [];
  for (const [app, env] of pairs) {
    const target = targetSnapshot(deps.rw.cfg, app, env);
    const where = (what: string) => (err: unknown) => {
      throw new Error(`${app}/${env}: reading ${what}: ${(err as Error).message}`);
    };
    const [engine, runs] = await Promise.all([
      engineRecords(clusterConfig(clusters, target.cluster), target).catch(
        where(`${target.engine.kind} ${target.engine.namespace}/${target.engine.name}`),
      ),
      restoreRuns(deps.rw.client, target, from).catch(where('runs from Temporal')),
    ]);
    const { changes, deployments } = await gitRecords(sources, target, from, engine).catch(
      where(`the config repo ${target.repo.name}`),
    );
    reports.push(doraReport({ app, env, from, to, failureWindowMs: opts.failureWindowMs, changes, deployments, runs }));
  }
  return reports;
}
