/**
 * What a newly synced revision brought to one environment, for the promotion watch: the newest
 * commit in (previous, synced] that touches the environment's sources, read as
 * - `promotion`: a change someone promoted; its verification runs;
 * - `revert`: a revert (git's `Revert "…"` subject), which the watch never verifies or rolls
 *   back again (no flapping);
 * - `rewind`: a commit rewind made itself (a `Rewind-Run` trailer: its reverts, the emergency
 *   path's commits);
 * - `unrelated`: nothing in the range touches the environment (another app's commit);
 * - `unknown`: the revisions cannot be read (not on the branch, history rewritten).
 * And, before the watch acts on a verdict, whether a newer commit has touched the environment
 * since: the verdict is then about a promotion that is no longer the newest.
 */
import type { TargetSnapshot } from '../../workflows/types.js';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { isAncestor, literal, resolveCommit } from '../../src/lib/git/git-read.js';
import { kustomizeSourcePaths } from '../../src/lib/git/kustomize-sources.js';
import { TRAILER } from '../../src/lib/git/revert-message.js';
import { isShaPrefix } from '../../src/lib/git/sha.js';
import { checkout } from './find-promotion.js';
import { refusingUnsafeInput } from './failures.js';

export type SyncKind = 'promotion' | 'revert' | 'rewind' | 'unrelated' | 'unknown';

export interface SyncedChange {
  kind: SyncKind;
  /** The newest commit of the range touching the environment. */
  commit?: { sha: string; subject: string; author: string; date: string };
  /** Other commits of the range touching the environment (synced together with it). */
  alsoSynced: number;
  /** Why `unknown`, or what `rewind` commit it was. */
  note?: string;
}

export interface NewerChange {
  sha: string;
  subject: string;
  author: string;
}

const FIELD = '\x1f',
  RECORD = '\x1e';

export function createClassifySync(sources: GitSourceCache) {
  return {
    /** Classifies what the engine's sync from `from` to `to` brought to the target's environment. */
    async classifySync({
      target,
      from,
      to,
    }: {
      target: TargetSnapshot;
      from?: string;
      to: string;
    }): Promise<SyncedChange> {
      if (!isShaPrefix(to) || (from !== undefined && !isShaPrefix(from)))
        return { kind: 'unknown', alsoSynced: 0, note: `not a commit sha: ${from ?? ''} ${to}` };
      return refusingUnsafeInput(() =>
        sources.get(target.repo.url).read(async (clone) => {
          const co = await checkout(clone, target);
          const git = clone.git;
          const sha = await resolveCommit(git, to);
          if (!sha) return { kind: 'unknown', alsoSynced: 0, note: `${to.slice(0, 7)} is not in ${target.repo.name}` };
          const base = from ? await resolveCommit(git, from) : undefined;
          // A sync back to an older revision (someone synced an old commit by hand) promotes nothing.
          if (base && base !== sha && (await isAncestor(git, sha, base)))
            return {
              kind: 'revert',
              alsoSynced: 0,
              note: `the engine went back from ${base.slice(0, 7)} to ${sha.slice(0, 7)}`,
            };
          const range = base && (await isAncestor(git, base, sha)) ? `${base}..${sha}` : undefined;
          const paths = await kustomizeSourcePaths(git, sha, co.envPath);
          const out = await git.raw([
            'log',
            '--no-merges',
            `--format=%H${FIELD}%an <%ae>${FIELD}%aI${FIELD}%s${FIELD}` +
              `%(trailers:key=${TRAILER.run},valueonly,separator=%x1d)${RECORD}`,
            ...(range ? [range] : ['--max-count=1', sha]),
            '--',
            ...paths.map(literal),
          ]);
          const commits = out
            .split(RECORD)
            .map((r) => r.trim())
            .filter(Boolean)
            .map((r) => {
              const [s = '', author = '', date = '', subject = '', run = ''] = r.split(FIELD);
              return { sha: s, author, date, subject, run: run.trim() };
            });
          const newest = commits[0];
          if (!newest) return { kind: 'unrelated', alsoSynced: 0 };
          const commit = { sha: newest.sha, subject: newest.subject, author: newest.author, date: newest.date };
          const alsoSynced = commits.length - 1;
          if (newest.run) return { kind: 'rewind', commit, alsoSynced, note: `made by rewind run ${newest.run}` };
          if (/^Revert "/.test(newest.subject)) return { kind: 'revert', commit, alsoSynced };
          return { kind: 'promotion', commit, alsoSynced };
        }),
      );
    },

    /** Commits on the branch after `sha` that touch the target's environment, newest first. */
    async newerChanges({ target, sha }: { target: TargetSnapshot; sha: string }): Promise<NewerChange[]> {
      if (!isShaPrefix(sha)) return [];
      return refusingUnsafeInput(() =>
        sources.get(target.repo.url).read(async (clone) => {
          const co = await checkout(clone, target);
          const paths = await kustomizeSourcePaths(clone.git, co.tip, co.envPath);
          const out = await clone.git.raw([
            'log',
            '--no-merges',
            `--format=%H${FIELD}%an <%ae>${FIELD}%s${RECORD}`,
            `${sha}..${co.tip}`,
            '--',
            ...paths.map(literal),
          ]);
          return out
            .split(RECORD)
            .map((r) => r.trim())
            .filter(Boolean)
            .map((r) => {
              const [s = '', author = '', subject = ''] = r.split(FIELD);
              return { sha: s, author, subject };
            });
        }),
      );
    },
  };
}
