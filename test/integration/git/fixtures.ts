/** A seeded config repo, a cache dir and a TargetSnapshot per app/env, for the git activity tests. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { simpleGit, type SimpleGit } from 'simple-git';
import {
  seedConfigRepo,
  tagFile,
  type ConfigRepo,
  type PromotableApp,
} from '../../../src/sandbox/world/config-repo.js';
import type { PersonRef, TargetSnapshot } from '../../../workflows/types.js';

/** For assert.rejects: an ApplicationFailure of `type`, not retried unless said, whose message matches. */
export const failsWith =
  (type: string, message?: RegExp, nonRetryable = true) =>
  (err: unknown): true => {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    assert.equal(err.nonRetryable, nonRetryable);
    if (message) assert.match(err.message, message);
    return true;
  };

export interface GitWorld {
  root: string;
  repo: ConfigRepo;
  cacheDir: string;
  bare: SimpleGit;
  dispose(): Promise<void>;
}

export async function gitWorld(): Promise<GitWorld> {
  const root = await mkdtemp(path.join(tmpdir(), 'rewind-git-'));
  const repo = await seedConfigRepo(path.join(root, 'world'));
  return {
    root,
    repo,
    cacheDir: path.join(root, 'cache'),
    bare: simpleGit({ baseDir: repo.remote }),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

export function target(repo: ConfigRepo, app: PromotableApp, env: string, webUrl?: string): TargetSnapshot {
  const file = tagFile(app, env);
  return {
    app,
    env,
    cluster: 'test',
    engine: { kind: 'argocd', name: `${app}-${env}`, namespace: 'argocd' },
    repo: { name: 'config', url: repo.remote, branch: repo.branch, ...(webUrl ? { webUrl } : {}) },
    path: path.posix.dirname(file),
    namespace: `${app}-${env}`,
    workloads: [`deployment/${app}`],
    health: { windowMs: 1000, timeoutMs: 10_000 },
    owners: [],
    approvers: [],
    approval: { required: false, minApprovers: 0, allowSelfApproval: true, timeoutMs: 60_000, allowCliYes: true },
    drillTarget: false,
  };
}

export const alice: PersonRef = { handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test', slack: 'U_ALICE' };

/** A second, independent clone of the remote: "another engineer" pushing. */
export async function otherClone(world: GitWorld, name: string): Promise<SimpleGit> {
  const dir = path.join(world.root, name);
  await simpleGit().clone(world.repo.remote, dir);
  return simpleGit({
    baseDir: dir,
    config: ['user.name=Other Eng', 'user.email=other@acme.test', 'commit.gpgsign=false'],
  });
}

/** `git log` of main in the bare repo: sha, author, subject, body. */
export async function remoteLog(
  world: GitWorld,
  n = 5,
): Promise<Array<{ sha: string; author: string; committer: string; subject: string; body: string }>> {
  const out = await world.bare.raw(['log', `-n${n}`, '--format=%H%x1f%an <%ae>%x1f%cn <%ce>%x1f%s%x1f%B%x1e', 'main']);
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha = '', author = '', committer = '', subject = '', body = ''] = r.split('\x1f');
      return { sha, author, committer, subject, body };
    });
}
