/**
 * The config repo's commits that can change what an app's environment renders, within a window:
 * `git log` on a mirror of the repo (src/lib/gitops/git-source.ts), restricted to the environment's
 * directory and every local kustomize source it pulls in, with the paths after `--` as literal
 * pathspecs. Rewind's own commits are marked by their `Rewind-Run` trailer.
 */
import { literal } from '../git/git-read.js';
import { kustomizeSourcePaths } from '../git/kustomize-sources.js';
import { assertBranchName, normalizeRepoPath } from '../git/validate.js';
import type { GitSourceCache } from '../gitops/git-source.js';
import { commitUrl } from './links.js';
import type { TimelineEntry } from './model.js';

export interface CommitQuery {
  url: string;
  branch: string;
  webUrl?: string;
  envPath: string;
  from: number;
  to: number;
}

const FIELD = '\x1f',
  RECORD = '\x1e';

export async function appCommits(sources: GitSourceCache, q: CommitQuery): Promise<TimelineEntry[]> {
  assertBranchName(q.branch);
  const envPath = normalizeRepoPath('path', q.envPath);
  return sources.get(q.url).read(async (clone) => {
    const ref = clone.branchRef(q.branch);
    const paths = await kustomizeSourcePaths(clone.git, ref, envPath);
    const out = await clone.git.raw([
      'log',
      '--no-color',
      `--since=${new Date(q.from).toISOString()}`,
      `--until=${new Date(q.to).toISOString()}`,
      `--format=%H${FIELD}%an${FIELD}%ae${FIELD}%cI${FIELD}%s${FIELD}` +
        `%(trailers:key=Rewind-Run,valueonly,separator=%x2C)${FIELD}` +
        `%(trailers:key=Rewind-Incident,valueonly,separator=%x2C)${RECORD}`,
      ref,
      '--',
      ...paths.map(literal),
    ]);
    return out
      .split(RECORD)
      .map((r) => r.trim())
      .filter(Boolean)
      .map((r): TimelineEntry => {
        const [sha = '', name = '', email = '', date = '', subject = '', run = '', incident = ''] = r
          .split(FIELD)
          .map((f) => f.trim());
        const url = commitUrl(q.webUrl, sha);
        return {
          at: new Date(date).toISOString(),
          kind: 'commit',
          source: 'git',
          actor: name,
          summary: `${sha.slice(0, 7)} ${subject}`,
          evidence: {
            sha,
            author: `${name} <${email}>`,
            ...(run ? { rewindRun: run } : {}),
            ...(incident ? { incident } : {}),
          },
          ...(url ? { links: [{ label: `commit ${sha.slice(0, 7)}`, url }] } : {}),
        };
      })
      .reverse();
  });
}
