/**
 * Every side effect rewind performs, one module per outside system. The worker builds them
 * from its clients; workflows see only the type.
 */
import { createDriftActivities, type DriftDeps } from './drift/index.js';
import { createGitActivities } from './git/index.js';
import { createGitOpsActivities, type GitOpsDeps } from './gitops/index.js';
import { createLiveActivities } from './live/index.js';
import { createSlackActivities, type SlackDeps } from './slack/index.js';

export interface ActivityDeps extends DriftDeps, GitOpsDeps, SlackDeps { cacheDir: string }

export function createActivities(deps: ActivityDeps) {
  const git = createGitActivities({ cacheDir: deps.cacheDir });
  const isAncestor = (repoUrl: string, ancestor: string, descendant: string) => git.commitContains({ repoUrl, ancestor, descendant });
  return {
    ...git,
    ...createGitOpsActivities({ isAncestor, ...deps }),
    ...createDriftActivities(deps),
    ...createLiveActivities(deps),
    ...createSlackActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
