/**
 * A sync that wrote over a live edit is drift only while Git did not hold the live value. After an
 * emergency fix, rewind (or a person) commits the live value to Git; from then on the edit is
 * Git's own, and a later commit that changes the field is Git moving on, not a sync undoing
 * someone's edit. The watch cannot see that adoption: an engine does not rewrite a value that
 * already matches Git, so managedFields still name the editor. It is checked here, against Git,
 * for the few overwrites a diagnosis reads.
 */
import { shaOfRevision } from '../../src/lib/git/sha.js';
import { isDeepStrictEqual } from 'node:util';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { pointerSegments, valueAt } from '../../src/lib/gitops/patch-paths.js';
import { groupOf, type KubeObject } from '../../src/lib/gitops/render.js';
import type { TargetSnapshot } from '../../workflows/types.js';
import type { Overwrite } from '../../workflows/watch/types.js';
import { renderTarget } from '../render-target.js';
import { journalValue } from './journal-value.js';

/**
 * The overwrites with those whose live value Git already held (at the sync's revision or its
 * parent, i.e. just before the commit the sync applied) turned from `live-edit` into `sync`, with
 * `heldByGit` naming the commit. Git that cannot be read leaves an overwrite as it was: a false
 * "live edit overwritten" costs a look, a missed one costs the incident.
 */
export async function withGitHeldEdits(
  overwrites: Overwrite[],
  target: TargetSnapshot,
  sources: GitSourceCache,
): Promise<Overwrite[]> {
  const rendered = new Map<string, Promise<KubeObject[] | undefined>>();
  const render = (sha: string) => {
    let r = rendered.get(sha);
    if (!r) {
      r = renderTarget(sources, target, sha).then(
        (x) => x.objects,
        () => undefined,
      );
      rendered.set(sha, r);
    }
    return r;
  };
  const parents = new Map<string, Promise<string | undefined>>();
  const parentOf = (sha: string) => {
    let p = parents.get(sha);
    if (!p) {
      p = sources
        .get(target.repo.url)
        .firstParent(sha)
        .catch(() => undefined);
      parents.set(sha, p);
    }
    return p;
  };

  const heldBy = async (o: Overwrite): Promise<string | undefined> => {
    const sha = shaOfRevision(o.syncRevision);
    if (o.origin !== 'live-edit' || !sha) return undefined;
    const parent = await parentOf(sha);
    const segments = pointerSegments(o.path);
    for (const rev of parent ? [parent, sha] : [sha]) {
      const obj = (await render(rev))?.find(
        (x) =>
          x.kind === o.kind &&
          x.metadata.name === o.name &&
          (x.metadata.namespace ?? '') === o.namespace &&
          groupOf(x.apiVersion) === groupOf(o.apiVersion),
      );
      if (!obj) continue;
      const git = valueAt(obj, o.path);
      if (git !== undefined && isDeepStrictEqual(journalValue(o.kind, segments, git), o.liveBefore)) return rev;
    }
    return undefined;
  };

  return Promise.all(
    overwrites.map(async (o) => {
      const rev = await heldBy(o);
      return rev ? { ...o, origin: 'sync' as const, heldByGit: rev } : o;
    }),
  );
}
