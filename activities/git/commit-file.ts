/**
 * commitFile: adds one new file to a branch as rewind, once. Used for the postmortem each ended
 * run leaves in the repository rewind.yaml names. Idempotent by path: the file name is fixed by
 * the run, so a retry after a lost response (or a worker killed after the push) finds the file on
 * the branch and returns the commit that added it instead of committing it twice. A file of that
 * name written by someone else is never overwritten.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CachedClone, type CloneStore, WORK_BRANCH } from '../../src/lib/git/cached-clone.js';
import { resolveCommit } from '../../src/lib/git/git-read.js';
import { pushHead, redactCredentials } from '../../src/lib/git/push.js';
import { TRAILER } from '../../src/lib/git/revert-message.js';
import { assertBranchName, assertTrailerValue, normalizeRepoPath } from '../../src/lib/git/validate.js';
import { commitUrl } from '../../src/lib/timeline/links.js';
import type { RepoRef } from '../../workflows/types.js';
import { whileQueued } from '../heartbeat.js';
import { badInput, pushRefused, pushRejected, refusingUnsafeInput } from './failures.js';

export interface CommitFileInput {
  repo: RepoRef;
  /** The new file, relative to the repository root. */
  file: string;
  content: string;
  /** One line; the run's trailer is added below it. */
  subject: string;
  runId: string;
}

export interface CommitFileResult {
  /** The commit that added the file. */
  sha: string;
  file: string;
  /** True when the file was already on the branch (an earlier attempt pushed it). */
  reused: boolean;
  /** The commit's page on the repository's web UI, when rewind.yaml gives `webUrl`. */
  url?: string;
}

const MAX_PUSH_ATTEMPTS = 5;

export function createCommitFile(store: CloneStore) {
  async function commitOnce(
    clone: CachedClone,
    input: CommitFileInput,
    file: string,
  ): Promise<{ done: CommitFileResult } | { rejected: true }> {
    const { git } = clone;
    const { branch } = input.repo;
    const tip = await resolveCommit(git, clone.branchRef(branch));
    if (!tip)
      throw badInput(
        `branch "${branch}" does not exist in ${redactCredentials(input.repo.url)}; ` +
          `fix repos.${input.repo.name}.branch in rewind.yaml`,
        { branch },
      );
    if (await git.object(`${tip}:${file}`)) {
      const added = (await git.raw(['log', '-1', '--format=%H%x00%B', '--diff-filter=A', tip, '--', file])).trim();
      const [sha = '', body = ''] = added.split('\0');
      if (!body.includes(`${TRAILER.run}: ${input.runId}`))
        throw badInput(
          `${file} already exists on ${branch} of ${redactCredentials(input.repo.url)}, ` +
            `added by another commit (${sha.slice(0, 12)}); rewind does not overwrite it`,
          { file, sha },
        );
      return { done: { sha, file, reused: true } };
    }
    await git.raw(['checkout', '--force', '--quiet', '-B', WORK_BRANCH, tip]);
    await mkdir(path.dirname(path.join(clone.dir, file)), { recursive: true });
    await writeFile(path.join(clone.dir, file), input.content);
    await git.raw(['add', '--', file]);
    // Via a file, not -m: the subject carries app and env names, and stays message text only.
    const messageFile = path.join(clone.dir, '.git', 'REWIND_FILE_MSG');
    await writeFile(messageFile, `${input.subject}\n\n${TRAILER.run}: ${input.runId}\n`);
    await git.raw(['-c', 'maintenance.auto=false', 'commit', '--quiet', '--no-verify', '-F', messageFile]);
    clone.markClean();
    const sha = (await git.raw(['rev-parse', 'HEAD'])).trim();
    const out = await pushHead(git, branch);
    if (out.kind === 'refused') {
      await clone.clean();
      throw pushRefused(
        `${redactCredentials(input.repo.url)} refused the push ` +
          `of ${file} to ${branch}; nothing was pushed. Git said:\n${out.message}`,
        { branch, gitMessage: out.message },
      );
    }
    if (out.kind === 'non-fast-forward') return { rejected: true };
    return { done: { sha, file, reused: false } };
  }

  return async function commitFile(input: CommitFileInput): Promise<CommitFileResult> {
    return refusingUnsafeInput(async () => {
      assertTrailerValue('runId', input.runId);
      assertBranchName(input.repo.branch);
      const file = normalizeRepoPath('file', input.file);
      if (/[\r\n]/.test(input.subject)) throw badInput('the commit subject must be one line', {});
      const result = await store.use(
        input.repo.url,
        async (clone) => {
          for (let attempt = 1; ; attempt++) {
            const out = await commitOnce(clone, input, file);
            if ('done' in out) return out.done;
            if (attempt >= MAX_PUSH_ATTEMPTS) {
              await clone.clean();
              throw pushRejected(
                `push of ${file} to ${input.repo.branch} was ` +
                  `rejected ${attempt} times: others keep pushing; will retry`,
                { attempts: attempt },
              );
            }
            await sleep(200 * 2 ** (attempt - 1));
            await clone.fetch();
          }
        },
        whileQueued('commitFile'),
      );
      const url = commitUrl(input.repo.webUrl, result.sha);
      return url ? { ...result, url } : result;
    });
  };
}
