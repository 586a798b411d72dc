/**
 * Flux source-controller for GitRepository, stood in: every `spec.interval` (and at once on a new
 * `reconcile.fluxcd.io/requestedAt` or a spec change) fetch and resolve the ref, and publish
 * `status.artifact.revision` as `<branch>@sha1:<sha>` with a Ready condition, and a `NewArtifact`
 * Event ("stored artifact for commit '<subject>'") when the revision changes. Kustomizations
 * react to a changed artifact revision in the same tick, as the real ones are enqueued by it.
 * The artifact's `url` and `size` are made up: nothing serves it, the stand-in renders from Git.
 */
import { createHash } from 'node:crypto';
import { FLUX_REQUESTED_AT } from '../../lib/gitops/tracking.js';
import { parseGoDuration } from './durations.js';
import { fluxEvents } from './events.js';
import { GIT_REPOSITORIES, setCondition, type Artifact, type GitRepository } from './flux-types.js';
import type { Runtime } from './runtime.js';

interface SourceMemory {
  at: number;
  generation: number;
}

/** The ref Flux would check out and how it names the revision; no ref means the `master` branch, as upstream. */
export function gitRef(spec: GitRepository['spec']): { ref: string; name: string } {
  const r = spec.ref ?? {};
  if (r.commit) return { ref: r.commit, name: '' };
  if (r.name) return { ref: r.name, name: r.name };
  if (r.tag) return { ref: r.tag, name: r.tag };
  const branch = r.branch ?? 'master';
  return { ref: branch, name: branch };
}

export class FluxSourceController {
  private readonly memory = new Map<string, SourceMemory>();

  async tick(rt: Runtime): Promise<void> {
    const repos = await rt.rest.list<GitRepository>(GIT_REPOSITORIES(rt.settings.fluxNamespace));
    const seen = new Set<string>();
    for (const repo of repos) {
      const key = repo.metadata.uid as string;
      seen.add(key);
      try {
        await this.reconcile(rt, repo, key);
      } catch (err) {
        rt.logError(err, { gitrepository: repo.metadata.name }, 'source reconcile failed');
      }
    }
    for (const k of this.memory.keys()) if (!seen.has(k)) this.memory.delete(k);
  }

  private async reconcile(rt: Runtime, repo: GitRepository, key: string): Promise<void> {
    if (repo.spec.suspend) return;
    const now = rt.now(),
      mem = this.memory.get(key);
    const interval = parseGoDuration(repo.spec.interval) ?? 60_000;
    const requested = repo.metadata.annotations?.[FLUX_REQUESTED_AT];
    const newRequest = requested !== undefined && requested !== repo.status?.lastHandledReconcileAt;
    const due = !mem || mem.generation !== repo.metadata.generation || newRequest || now - mem.at >= interval;
    if (!due) return;
    this.memory.set(key, { at: now, generation: repo.metadata.generation as number });
    const stamp = rt.timestamp(now);
    const gen = repo.metadata.generation as number;
    const conds = repo.status?.conditions ?? [];
    let newArtifact: string | undefined, failure: string | undefined;
    const status: Record<string, unknown> = {
      observedGeneration: gen,
      ...(requested !== undefined ? { lastHandledReconcileAt: requested } : {}),
    };
    try {
      const { ref, name } = gitRef(repo.spec);
      const sha = await rt.sources.get(repo.spec.url).resolve(ref);
      const revision = name ? `${name}@sha1:${sha}` : `sha1:${sha}`;
      const old = repo.status?.artifact;
      const ns = repo.metadata.namespace ?? rt.settings.fluxNamespace,
        file = `gitrepository/${ns}/${repo.metadata.name}/${sha}.tar.gz`;
      const artifact: Artifact =
        old?.revision === revision
          ? old
          : {
              digest: `sha256:${createHash('sha256').update(revision).digest('hex')}`,
              lastUpdateTime: stamp,
              path: file,
              revision,
              size: 0,
              url: `http://source-controller.${rt.settings.fluxNamespace}.svc.cluster.local./${file}`,
            };
      const message = `stored artifact for revision '${revision}'`;
      let c = setCondition(
        conds,
        { type: 'Ready', status: 'True', reason: 'Succeeded', message, observedGeneration: gen },
        stamp,
      );
      c = setCondition(
        c,
        { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message, observedGeneration: gen },
        stamp,
      );
      status['artifact'] = artifact;
      status['conditions'] = c.filter((x) => x.type !== 'FetchFailed' && x.type !== 'Reconciling');
      if (old?.revision !== revision) {
        rt.log.info({ gitrepository: repo.metadata.name, revision }, 'new artifact');
        const { subject } = await rt.sources.get(repo.spec.url).commitInfo(sha);
        newArtifact = `stored artifact for commit '${subject}'`;
      }
    } catch (err) {
      const message = (err as Error).message;
      failure = message;
      let c = setCondition(
        conds,
        { type: 'Ready', status: 'False', reason: 'GitOperationFailed', message, observedGeneration: gen },
        stamp,
      );
      c = setCondition(
        c,
        { type: 'FetchFailed', status: 'True', reason: 'GitOperationFailed', message, observedGeneration: gen },
        stamp,
      );
      status['conditions'] = c;
    }
    await rt.rest.mergePatch(
      `${GIT_REPOSITORIES(repo.metadata.namespace ?? rt.settings.fluxNamespace)}` +
        `/${encodeURIComponent(repo.metadata.name)}/status`,
      { status },
    );
    if (newArtifact) await fluxEvents.emit(rt, repo, { type: 'Normal', reason: 'NewArtifact', message: newArtifact });
    if (failure) await fluxEvents.emit(rt, repo, { type: 'Warning', reason: 'GitOperationFailed', message: failure });
  }
}
