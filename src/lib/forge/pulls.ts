/**
 * The pull requests of a config repository whose branch only takes PRs, through the GitHub REST API
 * (docs.github.com "Pulls"; Gitea and GitHub Enterprise answer the same shapes). Only what a run
 * needs: find or open its PR, read whether it merged, merge it (break-glass), comment, close.
 *
 * The token comes from the worker's environment by name and is sent only in the Authorization
 * header; error messages quote the forge's own `message`, never the request.
 */
import type { PullRequestPolicy } from '../../../workflows/types.js';

export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'merged' | 'closed';
  headSha: string;
  /** The commit the base branch holds after the merge (merge, squash or rebase alike). */
  mergeSha?: string;
  mergedBy?: string;
  /** The forge's own answer while open: false when it would conflict; undefined while it computes. */
  mergeable?: boolean;
}

/** A forge answer that retrying will not change: the status and the forge's own message. */
export class ForgeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
  /** 401/403/404: the token, its scopes or the repository name, which a person must fix. */
  get refused(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 404;
  }
}

interface PullJson {
  number: number;
  html_url: string;
  state: string;
  merged?: boolean;
  merge_commit_sha?: string | null;
  merged_by?: { login?: string } | null;
  mergeable?: boolean | null;
  head: { sha: string; ref: string };
}

const fromJson = (p: PullJson): PullRequest => ({
  number: p.number,
  url: p.html_url,
  state: p.merged ? 'merged' : p.state === 'open' ? 'open' : 'closed',
  headSha: p.head.sha,
  ...(p.merged && p.merge_commit_sha ? { mergeSha: p.merge_commit_sha } : {}),
  ...(p.merged_by?.login ? { mergedBy: p.merged_by.login } : {}),
  ...(typeof p.mergeable === 'boolean' ? { mergeable: p.mergeable } : {}),
});

export interface Pulls {
  /** The PR from `branch`, open or not, newest first; undefined when there is none. */
  find(branch: string): Promise<PullRequest | undefined>;
  open(pr: { branch: string; base: string; title: string; body: string }): Promise<PullRequest>;
  get(number: number): Promise<PullRequest>;
  /** Merges at `headSha` only; a ForgeError 405/409 says the forge would not (rules, conflicts, a moved head). */
  merge(number: number, opts: { headSha: string; method: 'merge' | 'squash'; title: string }): Promise<string>;
  comment(number: number, body: string): Promise<void>;
  close(number: number): Promise<void>;
}

export function pullsOf(policy: PullRequestPolicy, env: NodeJS.ProcessEnv = process.env): Pulls {
  const token = env[policy.tokenEnv];
  const [owner] = policy.repository.split('/');
  const base = `${policy.api.replace(/\/+$/, '')}/repos/${policy.repository}`;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!token)
      throw new ForgeError(
        401,
        `the worker has no ${policy.tokenEnv} set: it holds the token for ${policy.repository} on ${policy.api}`,
      );
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // A proxy's HTML error page: the status says what happened.
      json = undefined;
    }
    if (res.ok) return json as T;
    const said = (json as { message?: string; errors?: Array<{ message?: string }> } | undefined) ?? {};
    const detail = [said.message, ...(said.errors ?? []).map((e) => e.message)].filter(Boolean).join(': ');
    const error = new ForgeError(
      res.status,
      `${method} ${path} on ${policy.api}: ${res.status} ${detail || res.statusText}`,
    );
    // Rate limits and the forge's own outages pass: the activity's retry policy takes them.
    if (res.status >= 500 || res.status === 429) throw new Error(error.message);
    throw error;
  }

  return {
    async find(branch) {
      const q = new URLSearchParams({ head: `${owner}:${branch}`, state: 'all', per_page: '10' });
      const list = await call<PullJson[]>('GET', `/pulls?${q}`);
      const mine = list.filter((p) => p.head.ref === branch).sort((a, b) => b.number - a.number);
      return mine[0] ? fromJson(mine[0]) : undefined;
    },
    async open({ branch, base: into, title, body }) {
      return fromJson(await call<PullJson>('POST', '/pulls', { title, head: branch, base: into, body }));
    },
    async get(number) {
      return fromJson(await call<PullJson>('GET', `/pulls/${number}`));
    },
    async merge(number, { headSha, method, title }) {
      const res = await call<{ sha: string }>('PUT', `/pulls/${number}/merge`, {
        merge_method: method,
        sha: headSha,
        commit_title: title,
      });
      return res.sha;
    },
    async comment(number, body) {
      await call('POST', `/issues/${number}/comments`, { body });
    },
    async close(number) {
      await call('PATCH', `/pulls/${number}`, { state: 'closed' });
    },
  };
}
