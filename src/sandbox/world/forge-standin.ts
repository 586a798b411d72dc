/**
 * STAND-IN for a forge's pull-request API (GitHub REST "Pulls", plus issue comments): a loopback
 * HTTP server that answers the routes rewind uses the way docs.github.com documents them, and
 * records every call. It is not GitHub; it exists because no forge can run in tests, and rewind's
 * "open a pull request, let a human merge it" path must still be exercised end to end.
 *
 * The pull requests are backed by the world's real bare repositories: branch tips, mergeability
 * and merges are real git (`merge-tree --write-tree`, `commit-tree`, a compare-and-swap
 * `update-ref`), so what lands on the base branch is what a forge would have produced, and a
 * concurrent push to that branch is never lost. It deliberately uses only node: modules and the
 * git binary: a stand-in that grades rewind must not judge with rewind's own code.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readBody } from './read-body.js';

export interface ForgeUser {
  login: string;
}

export interface ForgeComment {
  id: number;
  body: string;
  user: ForgeUser;
  created_at: string;
}

export interface PullRequestJson {
  id: number;
  number: number;
  url: string;
  html_url: string;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  head: { ref: string; sha: string; label: string };
  base: { ref: string; sha: string };
  merged: boolean;
  merged_at: string | null;
  merge_commit_sha: string | null;
  merged_by: ForgeUser | null;
  /** Computed with real git while open; null once closed (GitHub computes it lazily, we eagerly). */
  mergeable: boolean | null;
  user: ForgeUser;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

/** A pull request as `pulls()` shows it: the API's JSON plus the issue comments posted on it. */
export type StoredPullRequest = PullRequestJson & { comments: ForgeComment[] };

export interface ForgeCall {
  method: string;
  /** Without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; undefined when empty, the raw text when it was not JSON. */
  body: unknown;
  status: number;
  at: number;
}

export interface ForgeStandin {
  /** Base URL of the API, e.g. http://127.0.0.1:PORT (GitHub's https://api.github.com equivalent). */
  apiUrl: string;
  /** Every request, in order of arrival. */
  calls: ForgeCall[];
  /**
   * The pull requests as stored, by number: head/base sha and mergeable are as of the last API answer
   * or merge (reading them fresh needs git, and this is synchronous). Copies; unknown repo throws.
   */
  pulls(owner: string, repo: string): StoredPullRequest[];
  /**
   * Acts as a reviewer clicking "Merge": the same code path as PUT .../merge, by `login` (default
   * `reviewer`). Returns the merge commit sha; throws a ForgeApiError with the status the API would answer.
   */
  mergeAsReviewer(
    owner: string,
    repo: string,
    number: number,
    opts?: { login?: string; method?: 'merge' | 'squash' },
  ): Promise<string>;
  /**
   * Refuses pushes over HTTP (REMOTE_USER set, as the world's git-http server sets it) to
   * refs/heads/<branch>, through a pre-receive hook in the bare repo, with GitHub's GH006 text.
   */
  protectBranch(owner: string, repo: string, branch: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ForgeStandinOptions {
  /** Maps "owner/repo" to the absolute path of its bare repository; unknown → 404. */
  repos: Record<string, string>;
  /** The only accepted token (Authorization: Bearer <token> or "token <token>"); anything else → 401. */
  token: string;
  /** Login the token belongs to (who opens and merges through the API). @default 'rewind-bot' */
  login?: string;
}

/** An answer other than success, with GitHub's status and body; thrown by handlers and by mergeAsReviewer. */
export class ForgeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${String(body.message)}`);
  }
}

const MAX_BODY = 10 * 1024 * 1024;
const HOOK_MARKER = '# written by the forge stand-in (protectBranch)';

const notFound = () => new ForgeApiError(404, { message: 'Not Found' });
const invalid = (message: string) =>
  new ForgeApiError(422, {
    message: 'Validation Failed',
    errors: [{ resource: 'PullRequest', code: 'custom', message }],
  });
const notMergeable = () => new ForgeApiError(405, { message: 'Pull Request is not mergeable' });

/** GitHub's timestamps have whole seconds. */
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------------------------
// git

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The stand-in's own git environment: nothing ambient (a GIT_DIR or GIT_INDEX_FILE inherited from a
 * hook would point git elsewhere), no system or global config (a user's merge settings must not change
 * what a merge produces), never a prompt.
 */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toUpperCase().startsWith('GIT_')) env[k] = v;
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', ...extra };
}

/** Runs git against a bare repository; resolves with the exit code rather than throwing on it. */
function runGit(
  gitDir: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [`--git-dir=${gitDir}`, ...args],
      { cwd: gitDir, env: gitEnv(opts.env), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(err);
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

async function git(gitDir: string, args: string[], opts?: { input?: string; env?: Record<string, string> }) {
  const r = await runGit(gitDir, args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/**
 * A branch name git would accept (the rules of git-check-ref-format), checked before it reaches git,
 * so that a request cannot smuggle revision syntax (`a..b`, `x^{}`, `@{1}`) or an option into a command.
 */
function isBranchName(name: string): boolean {
  if (name === '' || name === '@' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/')) return false;
  if (name.endsWith('.') || name.endsWith('.lock') || name.includes('..') || name.includes('@{')) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name) || name.includes('//')) return false;
  return name.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

/** The branch's tip, or undefined when it does not exist. */
async function branchTip(gitDir: string, branch: string): Promise<string | undefined> {
  if (!isBranchName(branch)) return undefined;
  const r = await runGit(gitDir, ['show-ref', '--verify', '--hash', `refs/heads/${branch}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The merged tree of two commits; `clean` false when they conflict (merge-tree exits 1). */
async function mergeTree(gitDir: string, base: string, head: string): Promise<{ clean: boolean; tree: string }> {
  const r = await runGit(gitDir, ['merge-tree', '--write-tree', '--no-messages', base, head]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`git merge-tree failed (${r.code}): ${r.stderr.trim()}`);
  return { clean: r.code === 0, tree: r.stdout.split('\n')[0]!.trim() };
}

// ---------------------------------------------------------------------------------------------
// state

interface RepoState {
  owner: string;
  name: string;
  gitDir: string;
  pulls: StoredPullRequest[];
  nextNumber: number;
  /** Mutations (create, update, merge) run one at a time per repository, in arrival order. */
  chain: Promise<unknown>;
  protectedBranches: Set<string>;
}

function serialize<T>(repo: RepoState, fn: () => Promise<T>): Promise<T> {
  const run = repo.chain.then(fn, fn);
  repo.chain = run.catch(() => undefined);
  return run;
}

function apiView(pr: StoredPullRequest): PullRequestJson {
  const { comments: _comments, ...json } = structuredClone(pr);
  return json;
}

/** The head label and branch of a `head` argument: "branch" or "owner:branch" (same repository only). */
function parseHead(repo: RepoState, head: string): string | undefined {
  const i = head.indexOf(':');
  if (i < 0) return head;
  return head.slice(0, i) === repo.owner ? head.slice(i + 1) : undefined;
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${key} is not a string`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// server

export async function startForgeStandin(opts: ForgeStandinOptions): Promise<ForgeStandin> {
  const login = opts.login ?? 'rewind-bot';
  const calls: ForgeCall[] = [];
  const repos = new Map<string, RepoState>();
  for (const [key, gitDir] of Object.entries(opts.repos)) {
    const [owner, name, ...rest] = key.split('/');
    if (!owner || !name || rest.length > 0) throw new Error(`forge stand-in: repo key "${key}" is not "owner/repo"`);
    if (!path.isAbsolute(gitDir)) throw new Error(`forge stand-in: ${key} → ${gitDir} is not an absolute path`);
    repos.set(key, {
      owner,
      name,
      gitDir,
      pulls: [],
      nextNumber: 1,
      chain: Promise.resolve(),
      protectedBranches: new Set(),
    });
  }
  let nextId = 1000;
  let apiUrl = '';

  function repoOf(owner: string, name: string): RepoState {
    const repo = repos.get(`${owner}/${name}`);
    if (!repo) throw notFound();
    return repo;
  }

  function pullOf(repo: RepoState, number: string | number): StoredPullRequest {
    const pr = repo.pulls.find((p) => String(p.number) === String(number));
    if (!pr) throw notFound();
    return pr;
  }

  /** Re-reads the tips and mergeability of an open pull request, as GitHub shows them on every answer. */
  async function refresh(repo: RepoState, pr: StoredPullRequest): Promise<void> {
    if (pr.state !== 'open') return;
    const [head, base] = await Promise.all([branchTip(repo.gitDir, pr.head.ref), branchTip(repo.gitDir, pr.base.ref)]);
    const mergeable = head && base ? (await mergeTree(repo.gitDir, base, head)).clean : false;
    // A merge or close that finished meanwhile has the last word.
    if (pr.state !== 'open') return;
    if (head) pr.head.sha = head;
    if (base) pr.base.sha = base;
    pr.mergeable = mergeable;
  }

  async function answerPull(repo: RepoState, pr: StoredPullRequest): Promise<PullRequestJson> {
    await refresh(repo, pr);
    return apiView(pr);
  }

  async function createPull(repo: RepoState, body: Record<string, unknown>): Promise<PullRequestJson> {
    const title = stringField(body, 'title');
    const headArg = stringField(body, 'head');
    const baseRef = stringField(body, 'base');
    if (!title?.trim()) throw invalid('title is missing');
    if (!headArg) throw invalid('head is missing');
    if (!baseRef) throw invalid('base is missing');
    const headRef = parseHead(repo, headArg);
    if (headRef === undefined) throw invalid(`head ${headArg} is not a branch of ${repo.owner}/${repo.name}`);
    return serialize(repo, async () => {
      const [head, base] = await Promise.all([branchTip(repo.gitDir, headRef), branchTip(repo.gitDir, baseRef)]);
      if (!head) throw invalid(`head ${headRef} does not exist`);
      if (!base) throw invalid(`base ${baseRef} does not exist`);
      if (headRef === baseRef) throw invalid(`head and base must be different branches`);
      const label = `${repo.owner}:${headRef}`;
      if (repo.pulls.some((p) => p.state === 'open' && p.head.ref === headRef && p.base.ref === baseRef))
        throw invalid(`A pull request already exists for ${label}.`);
      if ((await runGit(repo.gitDir, ['merge-base', base, head])).code !== 0)
        throw invalid(`The ${baseRef} branch has no history in common with ${headRef}`);
      if ((await git(repo.gitDir, ['rev-list', '--count', `${base}..${head}`])) === '0')
        throw invalid(`No commits between ${baseRef} and ${headRef}`);
      const number = repo.nextNumber++;
      const created = now();
      const pr: StoredPullRequest = {
        id: nextId++,
        number,
        url: `${apiUrl}/repos/${repo.owner}/${repo.name}/pulls/${number}`,
        html_url: `${apiUrl}/${repo.owner}/${repo.name}/pull/${number}`,
        state: 'open',
        title,
        body: stringField(body, 'body') ?? null,
        head: { ref: headRef, sha: head, label },
        base: { ref: baseRef, sha: base },
        merged: false,
        merged_at: null,
        merge_commit_sha: null,
        merged_by: null,
        mergeable: (await mergeTree(repo.gitDir, base, head)).clean,
        user: { login },
        created_at: created,
        updated_at: created,
        closed_at: null,
        comments: [],
      };
      repo.pulls.push(pr);
      return apiView(pr);
    });
  }

  async function listPulls(repo: RepoState, query: Record<string, string>): Promise<PullRequestJson[]> {
    const state = query.state ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) throw invalid(`state must be open, closed or all`);
    const perPage = Math.min(Math.max(Number.parseInt(query.per_page ?? '30', 10) || 30, 1), 100);
    const page = Math.max(Number.parseInt(query.page ?? '1', 10) || 1, 1);
    let headOwner: string | undefined;
    let headRef: string | undefined;
    if (query.head) {
      const i = query.head.indexOf(':');
      [headOwner, headRef] = i < 0 ? [query.head, undefined] : [query.head.slice(0, i), query.head.slice(i + 1)];
    }
    const matching = repo.pulls
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => headOwner === undefined || (headOwner === repo.owner && (!headRef || p.head.ref === headRef)))
      .filter((p) => !query.base || p.base.ref === query.base)
      .sort((a, b) => b.number - a.number)
      .slice((page - 1) * perPage, page * perPage);
    return Promise.all(matching.map((p) => answerPull(repo, p)));
  }

  async function updatePull(repo: RepoState, pr: StoredPullRequest, body: Record<string, unknown>) {
    const state = stringField(body, 'state');
    const title = stringField(body, 'title');
    const text = stringField(body, 'body');
    if (state !== undefined && state !== 'open' && state !== 'closed') throw invalid('state must be open or closed');
    if (title !== undefined && !title.trim()) throw invalid('title is missing');
    return serialize(repo, async () => {
      if (state === 'open' && pr.state === 'closed') {
        if (pr.merged) throw invalid('state cannot be changed. The pull request cannot be reopened.');
        if (repo.pulls.some((p) => p.state === 'open' && p.head.ref === pr.head.ref && p.base.ref === pr.base.ref))
          throw invalid(`A pull request already exists for ${pr.head.label}.`);
        if (!(await branchTip(repo.gitDir, pr.head.ref))) throw invalid(`head ${pr.head.ref} does not exist`);
        pr.state = 'open';
        pr.closed_at = null;
      } else if (state === 'closed' && pr.state === 'open') {
        await refresh(repo, pr);
        pr.state = 'closed';
        pr.closed_at = now();
        pr.mergeable = null;
      }
      if (title !== undefined) pr.title = title;
      if (text !== undefined) pr.body = text;
      pr.updated_at = now();
      return answerPull(repo, pr);
    });
  }

  /** The commit message of a merge, GitHub's defaults unless the merger gave a title or message. */
  async function mergeMessage(
    repo: RepoState,
    pr: StoredPullRequest,
    method: 'merge' | 'squash',
    tips: { base: string; head: string },
    given: { title?: string; message?: string },
  ): Promise<string> {
    const title =
      given.title ??
      (method === 'merge'
        ? `Merge pull request #${pr.number} from ${repo.owner}/${pr.head.ref}`
        : `${pr.title} (#${pr.number})`);
    const body =
      given.message ??
      (method === 'merge' ? pr.title : await git(repo.gitDir, ['log', '--format=%B', `${tips.base}..${tips.head}`]));
    return body.trim() ? `${title}\n\n${body.trim()}\n` : `${title}\n`;
  }

  /**
   * Merges a pull request on the bare repository, without a work tree; one merge at a time per repo.
   * The base branch moves by compare-and-swap: if someone pushed meanwhile, the merge is redone once
   * on the new tip rather than overwriting their commit.
   */
  function mergePull(
    repo: RepoState,
    pr: StoredPullRequest,
    args: { by: string; method: string; sha?: string; title?: string; message?: string },
  ): Promise<string> {
    const method = args.method;
    if (method !== 'merge' && method !== 'squash') throw invalid(`Merge method ${method} is not allowed here`);
    return serialize(repo, async () => {
      if (pr.state !== 'open') throw notMergeable();
      const head = await branchTip(repo.gitDir, pr.head.ref);
      if (!head) throw notMergeable();
      if (args.sha !== undefined && args.sha !== head)
        throw new ForgeApiError(409, { message: 'Head branch was modified. Review and try the merge again.' });
      const email = `${args.by}@users.noreply.forge.invalid`;
      const env = {
        GIT_AUTHOR_NAME: args.by,
        GIT_AUTHOR_EMAIL: email,
        GIT_COMMITTER_NAME: args.by,
        GIT_COMMITTER_EMAIL: email,
      };
      for (let attempt = 0; ; attempt++) {
        const base = await branchTip(repo.gitDir, pr.base.ref);
        if (!base) throw notMergeable();
        const merged = await mergeTree(repo.gitDir, base, head);
        if (!merged.clean) {
          Object.assign(pr, { mergeable: false, head: { ...pr.head, sha: head }, base: { ...pr.base, sha: base } });
          throw notMergeable();
        }
        const message = await mergeMessage(repo, pr, method, { base, head }, args);
        const parents = method === 'merge' ? ['-p', base, '-p', head] : ['-p', base];
        const commit = await git(repo.gitDir, ['commit-tree', merged.tree, ...parents, '-F', '-'], {
          input: message,
          env,
        });
        const cas = await runGit(repo.gitDir, ['update-ref', `refs/heads/${pr.base.ref}`, commit, base]);
        if (cas.code === 0) {
          const at = now();
          Object.assign(pr, {
            state: 'closed',
            head: { ...pr.head, sha: head },
            base: { ...pr.base, sha: base },
            merged: true,
            merged_at: at,
            merge_commit_sha: commit,
            merged_by: { login: args.by },
            mergeable: null,
            updated_at: at,
            closed_at: at,
          });
          return commit;
        }
        const moved = (await branchTip(repo.gitDir, pr.base.ref)) !== base;
        if (!moved) throw new Error(`git update-ref failed (${cas.code}): ${cas.stderr.trim()}`);
        if (attempt >= 1)
          throw new ForgeApiError(405, { message: 'Base branch was modified. Review and try the merge again.' });
      }
    });
  }

  function addComment(pr: StoredPullRequest, body: Record<string, unknown>): ForgeComment {
    const text = stringField(body, 'body');
    if (!text) throw invalid('body is missing');
    const comment: ForgeComment = { id: nextId++, body: text, user: { login }, created_at: now() };
    pr.comments.push(comment);
    return structuredClone(comment);
  }

  type Answer = { status: number; body?: unknown };
  type Route = {
    method: string;
    pattern: RegExp;
    handle: (
      repo: RepoState,
      m: string[],
      body: Record<string, unknown>,
      query: Record<string, string>,
    ) => Promise<Answer>;
  };
  const routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/pulls$/,
      handle: async (r, _m, b) => ({ status: 201, body: await createPull(r, b) }),
    },
    {
      method: 'GET',
      pattern: /^\/pulls$/,
      handle: async (r, _m, _b, q) => ({ status: 200, body: await listPulls(r, q) }),
    },
    {
      method: 'GET',
      pattern: /^\/pulls\/(\d+)$/,
      handle: async (r, m) => ({ status: 200, body: await answerPull(r, pullOf(r, m[1]!)) }),
    },
    {
      method: 'PATCH',
      pattern: /^\/pulls\/(\d+)$/,
      handle: async (r, m, b) => ({ status: 200, body: await updatePull(r, pullOf(r, m[1]!), b) }),
    },
    {
      // GitHub's "is it merged?": 204 when merged, 404 otherwise.
      method: 'GET',
      pattern: /^\/pulls\/(\d+)\/merge$/,
      handle: async (r, m) => {
        if (!pullOf(r, m[1]!).merged) throw notFound();
        return { status: 204 };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/pulls\/(\d+)\/merge$/,
      handle: async (r, m, b) => {
        const sha = await mergePull(r, pullOf(r, m[1]!), {
          by: login,
          method: stringField(b, 'merge_method') ?? 'merge',
          sha: stringField(b, 'sha'),
          title: stringField(b, 'commit_title'),
          message: stringField(b, 'commit_message'),
        });
        return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/issues\/(\d+)\/comments$/,
      handle: async (r, m, b) => ({ status: 201, body: addComment(pullOf(r, m[1]!), b) }),
    },
    {
      method: 'GET',
      pattern: /^\/issues\/(\d+)\/comments$/,
      handle: async (r, m) => ({ status: 200, body: structuredClone(pullOf(r, m[1]!).comments) }),
    },
  ];

  function authorized(req: IncomingMessage): boolean {
    const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return m?.[1] === opts.token;
  }

  async function route(req: IncomingMessage, pathname: string, body: unknown, query: Record<string, string>) {
    if (!authorized(req)) throw new ForgeApiError(401, { message: 'Bad credentials' });
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(pathname);
    const r = m && routes.find((x) => x.method === req.method && x.pattern.test(m[3]!));
    if (!m || !r) throw notFound();
    const repo = repoOf(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
      throw new ForgeApiError(400, { message: 'Problems parsing JSON' });
    return r.handle(repo, r.pattern.exec(m[3]!)!.slice(0), (body ?? {}) as Record<string, unknown>, query);
  }

  function send(res: ServerResponse, answer: Answer): void {
    if (answer.body === undefined) {
      res.writeHead(answer.status).end();
      return;
    }
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const call: ForgeCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      status: 0,
      at: Date.now(),
    };
    calls.push(call);
    let answer: Answer;
    try {
      const raw = (await readBody(req, MAX_BODY)).toString('utf8');
      let parsed: unknown;
      let parseError = false;
      if (raw.trim() !== '') {
        try {
          parsed = JSON.parse(raw);
        } catch {
          parseError = true;
        }
      }
      call.body = parseError ? raw : parsed;
      if (parseError && authorized(req)) throw new ForgeApiError(400, { message: 'Problems parsing JSON' });
      answer = await route(req, call.path, parsed, call.query);
    } catch (err) {
      answer =
        err instanceof ForgeApiError
          ? { status: err.status, body: err.body }
          : { status: 500, body: { message: err instanceof Error ? err.message : String(err) } };
    }
    call.status = answer.status;
    send(res, answer);
  }

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  apiUrl = `http://127.0.0.1:${port}`;

  async function mergeAsReviewer(
    owner: string,
    name: string,
    number: number,
    o: { login?: string; method?: 'merge' | 'squash' } = {},
  ): Promise<string> {
    const repo = repoOf(owner, name);
    return mergePull(repo, pullOf(repo, number), { by: o.login ?? 'reviewer', method: o.method ?? 'merge' });
  }

  async function protectBranch(owner: string, name: string, branch: string): Promise<void> {
    const repo = repos.get(`${owner}/${name}`);
    if (!repo) throw new Error(`forge stand-in: unknown repo ${owner}/${name}`);
    if (!isBranchName(branch) || (await runGit(repo.gitDir, ['check-ref-format', `refs/heads/${branch}`])).code !== 0)
      throw new Error(`forge stand-in: "${branch}" is not a valid branch name`);
    // core.hooksPath may point elsewhere; --git-path answers where git will look.
    const hooksDir = path.resolve(repo.gitDir, await git(repo.gitDir, ['rev-parse', '--git-path', 'hooks']));
    const hookPath = path.join(hooksDir, 'pre-receive');
    const existing = await readFile(hookPath, 'utf8').catch(() => undefined);
    if (existing !== undefined && !existing.includes(HOOK_MARKER))
      throw new Error(`forge stand-in: ${hookPath} exists and was not written by the stand-in; not replacing it`);
    repo.protectedBranches.add(branch);
    // Written aside and renamed, so a push running meanwhile sees the old hook or the new one, never half of one.
    const tmp = `${hookPath}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, preReceiveHook([...repo.protectedBranches]), { mode: 0o755 });
    await rename(tmp, hookPath);
  }

  return {
    apiUrl,
    calls,
    pulls(owner, name) {
      const repo = repos.get(`${owner}/${name}`);
      if (!repo) throw new Error(`forge stand-in: unknown repo ${owner}/${name}`);
      return structuredClone(repo.pulls);
    },
    mergeAsReviewer,
    protectBranch,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // No git may still be running in a repository the caller is about to delete.
      await Promise.all([...repos.values()].map((r) => r.chain));
    },
  };
}

/**
 * The pre-receive hook behind protectBranch. Only pushes that came through the world's git smart-HTTP
 * server carry REMOTE_USER; the test harness's own local pushes set up the world and must get through.
 */
function preReceiveHook(branches: string[]): string {
  const quoted = branches.map((b) => `'${`refs/heads/${b}`.replaceAll("'", "'\\''")}'`).join(' ');
  return `#!/usr/bin/env bash
${HOOK_MARKER}; regenerated on every call.
protected=(${quoted})
refused=0
while read -r old new ref; do
  [ -n "\${REMOTE_USER:-}" ] || continue
  for p in "\${protected[@]}"; do
    if [ "$ref" = "$p" ]; then
      echo "error: GH006: Protected branch update failed for $ref." >&2
      echo "error: Changes must be made through a pull request." >&2
      refused=1
    fi
  done
done
exit $refused
`;
}
