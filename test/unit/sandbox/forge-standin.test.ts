/**
 * The forge stand-in (src/sandbox/world/forge-standin.ts) against a real bare repository: GitHub's
 * pull-request answers and status codes, merges that are real git commits on the base branch, and
 * the protected-branch hook that refuses pushes from the world's git server.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ForgeStandin, startForgeStandin } from '../../../src/sandbox/world/forge-standin.js';

const TOKEN = 'ghp_standin';
const SOURCE = fileURLToPath(new URL('../../../src/sandbox/world/forge-standin.ts', import.meta.url));

/** git without the caller's config or ambient GIT_* variables, so scratch repositories behave alike everywhere. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith('GIT_')));
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', ...extra };
}

describe('forge stand-in', () => {
  let scratch: string;
  let bare: string;
  let work: string;
  let forge: ForgeStandin;
  const tips: Record<string, string> = {};

  const gitIn = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
      cwd,
      env: cleanEnv(),
      encoding: 'utf8',
    }).trim();
  const git = (...args: string[]) => gitIn(work, ...args);
  const bareGit = (...args: string[]) => gitIn(bare, ...args);
  const commitFile = (file: string, text: string, message: string) => {
    writeFileSync(path.join(work, file), text);
    git('add', file);
    git('commit', '-q', '-m', message);
  };

  const api = async (method: string, route: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${forge.apiUrl}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as any };
  };
  const openPull = (head: string, title: string) =>
    api('POST', '/repos/acme/config/pulls', { title, head, base: 'main', body: `${title} body` });
  const mainTip = () => bareGit('rev-parse', 'refs/heads/main');

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'rewind-forge-standin-'));
    bare = path.join(scratch, 'acme', 'config.git');
    work = path.join(scratch, 'work');
    execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', bare], { env: cleanEnv() });
    execFileSync('git', ['init', '-q', '--initial-branch=main', work], { env: cleanEnv() });
    commitFile('README.md', 'v1\n', 'readme v1');
    // `conflict` and main change the same line from the same ancestor.
    git('checkout', '-q', '-b', 'conflict');
    commitFile('README.md', 'theirs\n', 'readme theirs');
    git('checkout', '-q', 'main');
    commitFile('README.md', 'ours\n', 'readme ours');
    for (const [branch, file] of [
      ['feature-a', 'a.txt'],
      ['feature-c', 'c.txt'],
      ['closeme', 'x.txt'],
    ] as const) {
      git('checkout', '-q', '-b', branch, 'main');
      commitFile(file, `${branch}\n`, `add ${file}`);
    }
    git('checkout', '-q', '-b', 'feature-b', 'main');
    commitFile('b1.txt', 'b1\n', 'add b1');
    commitFile('b2.txt', 'b2\n', 'add b2');
    git('checkout', '-q', 'main');
    git('remote', 'add', 'origin', bare);
    git('push', '-q', 'origin', 'main', 'conflict', 'feature-a', 'feature-b', 'feature-c', 'closeme');
    for (const b of ['main', 'feature-a', 'feature-b', 'feature-c', 'closeme', 'conflict'])
      tips[b] = bareGit('rev-parse', `refs/heads/${b}`);
    forge = await startForgeStandin({ repos: { 'acme/config': bare }, token: TOKEN });
  });

  after(async () => {
    await forge?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("imports nothing but node: modules and the world's own body reader", () => {
    const code = readFileSync(SOURCE, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const specs = [...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);
    assert.ok(specs.length > 0);
    assert.deepEqual(
      specs.filter((s) => !s?.startsWith('node:') && s !== './read-body.js'),
      [],
    );
  });

  it('listens on loopback and answers 401 Bad credentials without the token', async () => {
    assert.match(forge.apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const token of [null, 'wrong']) {
      const res = await api('GET', '/repos/acme/config/pulls', undefined, token);
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, { message: 'Bad credentials' });
    }
    const viaTokenScheme = await fetch(`${forge.apiUrl}/repos/acme/config/pulls`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    assert.equal(viaTokenScheme.status, 200);
  });

  it('answers 404 for unknown repos, pulls and routes', async () => {
    assert.equal((await api('GET', '/repos/acme/nope/pulls')).status, 404);
    assert.deepEqual((await api('GET', '/repos/acme/config/pulls/99')).json, { message: 'Not Found' });
    assert.equal((await api('GET', '/repos/acme/config/commits')).status, 404);
    assert.equal((await api('DELETE', '/repos/acme/config/pulls')).status, 404);
  });

  it('opens a pull request (201) and refuses a duplicate and bad branches (422)', async () => {
    const res = await openPull('feature-a', 'Add a');
    assert.equal(res.status, 201);
    const pr = res.json;
    assert.equal(pr.number, 1);
    assert.equal(pr.state, 'open');
    assert.equal(pr.title, 'Add a');
    assert.equal(pr.body, 'Add a body');
    assert.deepEqual(pr.head, { ref: 'feature-a', sha: tips['feature-a'], label: 'acme:feature-a' });
    assert.deepEqual(pr.base, { ref: 'main', sha: tips.main });
    assert.equal(pr.html_url, `${forge.apiUrl}/acme/config/pull/1`);
    assert.deepEqual(pr.user, { login: 'rewind-bot' });
    assert.equal(pr.merged, false);
    assert.equal(pr.merged_at, null);
    assert.equal(pr.merge_commit_sha, null);
    assert.equal(pr.merged_by, null);
    assert.equal(pr.mergeable, true);
    assert.match(pr.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const dup = await api('POST', '/repos/acme/config/pulls', { title: 'again', head: 'acme:feature-a', base: 'main' });
    assert.equal(dup.status, 422);
    assert.equal(dup.json.message, 'Validation Failed');
    assert.equal(dup.json.errors[0].message, 'A pull request already exists for acme:feature-a.');

    for (const body of [
      { title: 't', head: 'no-such-branch', base: 'main' },
      { title: 't', head: 'feature-a', base: 'no-such-base' },
      { title: 't', head: 'main', base: 'main' },
      { head: 'feature-c', base: 'main' },
      { title: 't', head: 'feature-a..main', base: 'main' },
    ]) {
      const bad = await api('POST', '/repos/acme/config/pulls', body);
      assert.equal(bad.status, 422, JSON.stringify(body));
      assert.equal(bad.json.message, 'Validation Failed');
      assert.equal(typeof bad.json.errors[0].message, 'string');
    }
    assert.equal(forge.pulls('acme', 'config').length, 1);
  });

  it('lists pull requests by head, base and state, newest first', async () => {
    assert.equal((await openPull('feature-b', 'Add b')).status, 201);
    const all = await api('GET', '/repos/acme/config/pulls');
    assert.deepEqual(
      all.json.map((p: { number: number }) => p.number),
      [2, 1],
    );
    const byHead = await api('GET', '/repos/acme/config/pulls?head=acme:feature-a');
    assert.deepEqual(
      byHead.json.map((p: { number: number }) => p.number),
      [1],
    );
    assert.deepEqual((await api('GET', '/repos/acme/config/pulls?head=acme:nothing')).json, []);
    assert.deepEqual((await api('GET', '/repos/acme/config/pulls?base=other')).json, []);
    assert.deepEqual((await api('GET', '/repos/acme/config/pulls?state=closed')).json, []);
    const single = await api('GET', '/repos/acme/config/pulls/1');
    assert.equal(single.status, 200);
    assert.equal(single.json.mergeable, true);
  });

  it('refuses a merge at a stale head sha (409), then merges with a real two-parent commit', async () => {
    const stale = await api('PUT', '/repos/acme/config/pulls/1/merge', { sha: tips.main });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json, { message: 'Head branch was modified. Review and try the merge again.' });
    assert.equal(mainTip(), tips.main);

    const res = await api('PUT', '/repos/acme/config/pulls/1/merge', { sha: tips['feature-a'] });
    assert.equal(res.status, 200);
    assert.equal(res.json.merged, true);
    assert.equal(res.json.message, 'Pull Request successfully merged');
    const sha = res.json.sha;
    assert.equal(mainTip(), sha);
    assert.deepEqual(bareGit('rev-list', '--parents', '-n1', sha).split(' ').slice(1), [tips.main, tips['feature-a']]);
    assert.equal(bareGit('show', `${sha}:a.txt`), 'feature-a');
    assert.equal(bareGit('log', '-1', '--format=%B', sha), 'Merge pull request #1 from acme/feature-a\n\nAdd a');
    assert.equal(
      bareGit('log', '-1', '--format=%an <%ae>|%cn', sha),
      'rewind-bot <rewind-bot@users.noreply.forge.invalid>|rewind-bot',
    );

    const merged = (await api('GET', '/repos/acme/config/pulls/1')).json;
    assert.equal(merged.state, 'closed');
    assert.equal(merged.merged, true);
    assert.equal(merged.merge_commit_sha, sha);
    assert.deepEqual(merged.merged_by, { login: 'rewind-bot' });
    assert.equal(merged.mergeable, null);
    assert.match(merged.merged_at, /Z$/);
    assert.equal((await api('GET', '/repos/acme/config/pulls/1/merge')).status, 204);

    const again = await api('PUT', '/repos/acme/config/pulls/1/merge', {});
    assert.equal(again.status, 405);
    assert.deepEqual(again.json, { message: 'Pull Request is not mergeable' });
    assert.equal(mainTip(), sha);
  });

  it('squash-merges into one single-parent commit (and refuses rebase with 422)', async () => {
    const oldMain = mainTip();
    const rebase = await api('PUT', '/repos/acme/config/pulls/2/merge', { merge_method: 'rebase' });
    assert.equal(rebase.status, 422);
    assert.equal(mainTip(), oldMain);

    const res = await api('PUT', '/repos/acme/config/pulls/2/merge', { merge_method: 'squash' });
    assert.equal(res.status, 200);
    assert.equal(mainTip(), res.json.sha);
    assert.deepEqual(bareGit('rev-list', '--parents', '-n1', res.json.sha).split(' ').slice(1), [oldMain]);
    assert.equal(bareGit('show', `${res.json.sha}:b2.txt`), 'b2');
    assert.equal(bareGit('show', `${res.json.sha}:a.txt`), 'feature-a');
    const message = bareGit('log', '-1', '--format=%B', res.json.sha);
    assert.match(message, /^Add b \(#2\)\n\n/);
    assert.match(message, /add b1/);
    assert.match(message, /add b2/);
  });

  it('merges as a reviewer through the same path, by their login', async () => {
    const opened = await openPull('feature-c', 'Add c');
    assert.equal(opened.status, 201);
    const oldMain = mainTip();
    const sha = await forge.mergeAsReviewer('acme', 'config', opened.json.number, { login: 'alice' });
    assert.equal(mainTip(), sha);
    assert.deepEqual(bareGit('rev-list', '--parents', '-n1', sha).split(' ').slice(1), [oldMain, tips['feature-c']]);
    assert.equal(bareGit('log', '-1', '--format=%an <%ae>', sha), 'alice <alice@users.noreply.forge.invalid>');
    const stored = forge.pulls('acme', 'config').find((p) => p.number === opened.json.number)!;
    assert.deepEqual(stored.merged_by, { login: 'alice' });
    assert.equal(stored.merge_commit_sha, sha);
    await assert.rejects(forge.mergeAsReviewer('acme', 'config', opened.json.number), { status: 405 });
  });

  it('reports a conflicting pull request as not mergeable and refuses to merge it (405)', async () => {
    const oldMain = mainTip();
    const opened = await openPull('conflict', 'Conflicting readme');
    assert.equal(opened.status, 201);
    assert.equal(opened.json.mergeable, false);
    assert.equal((await api('GET', `/repos/acme/config/pulls/${opened.json.number}`)).json.mergeable, false);
    const res = await api('PUT', `/repos/acme/config/pulls/${opened.json.number}/merge`, {});
    assert.equal(res.status, 405);
    assert.deepEqual(res.json, { message: 'Pull Request is not mergeable' });
    assert.equal(mainTip(), oldMain);
    assert.equal(bareGit('show', 'refs/heads/main:README.md'), 'ours');
  });

  it('closes a pull request with PATCH; a closed one cannot be merged (405)', async () => {
    const opened = await openPull('closeme', 'To close');
    const n = opened.json.number;
    const closed = await api('PATCH', `/repos/acme/config/pulls/${n}`, { state: 'closed', title: 'Closed now' });
    assert.equal(closed.status, 200);
    assert.equal(closed.json.state, 'closed');
    assert.equal(closed.json.title, 'Closed now');
    assert.equal(closed.json.merged, false);
    assert.equal(closed.json.mergeable, null);
    const oldMain = mainTip();
    assert.equal((await api('PUT', `/repos/acme/config/pulls/${n}/merge`, {})).status, 405);
    assert.equal(mainTip(), oldMain);
    const open = (await api('GET', '/repos/acme/config/pulls')).json.map((p: { number: number }) => p.number);
    assert.ok(!open.includes(n));
    const reopened = await api('PATCH', `/repos/acme/config/pulls/${n}`, { state: 'open' });
    assert.equal(reopened.json.state, 'open');
    assert.equal(reopened.json.mergeable, true);
    assert.equal((await api('PATCH', '/repos/acme/config/pulls/1', { state: 'open' })).status, 422);
  });

  it('stores issue comments on the pull request', async () => {
    const res = await api('POST', '/repos/acme/config/issues/1/comments', { body: 'Rollback verified.' });
    assert.equal(res.status, 201);
    assert.equal(res.json.body, 'Rollback verified.');
    assert.deepEqual(res.json.user, { login: 'rewind-bot' });
    assert.equal(typeof res.json.id, 'number');
    const stored = forge.pulls('acme', 'config').find((p) => p.number === 1)!;
    assert.deepEqual(
      stored.comments.map((c) => c.body),
      ['Rollback verified.'],
    );
    assert.equal((await api('GET', '/repos/acme/config/pulls/1')).json.comments, undefined);
    assert.equal((await api('POST', '/repos/acme/config/issues/99/comments', { body: 'x' })).status, 404);
  });

  it('records every call with its status', () => {
    assert.ok(forge.calls.length > 10);
    const first = forge.calls[0]!;
    assert.equal(first.method, 'GET');
    assert.equal(first.path, '/repos/acme/config/pulls');
    assert.equal(first.status, 401);
    const merge = forge.calls.find((c) => c.method === 'PUT' && c.status === 409)!;
    assert.deepEqual(merge.body, { sha: tips.main });
    const listed = forge.calls.find((c) => c.query.head === 'acme:feature-a')!;
    assert.equal(listed.path, '/repos/acme/config/pulls');
    assert.equal(listed.status, 200);
  });

  it('merges two pull requests sent at once one after the other, losing neither', async () => {
    for (const branch of ['feature-d', 'feature-e']) {
      git('checkout', '-q', '-B', branch, tips.main!);
      commitFile(`${branch}.txt`, `${branch}\n`, `add ${branch}`);
      git('push', '-q', 'origin', branch);
    }
    git('checkout', '-q', 'main');
    const numbers = await Promise.all(['feature-d', 'feature-e'].map(async (b) => (await openPull(b, b)).json.number));
    const results = await Promise.all(numbers.map((n) => api('PUT', `/repos/acme/config/pulls/${n}/merge`, {})));
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200],
    );
    // Whichever arrived second was merged on top of the first one's merge commit.
    const shas = results.map((r) => r.json.sha as string);
    const last = mainTip();
    assert.ok(shas.includes(last));
    assert.equal(
      bareGit('rev-parse', `${last}^1`),
      shas.find((s) => s !== last),
    );
    assert.equal(bareGit('show', 'refs/heads/main:feature-d.txt'), 'feature-d');
    assert.equal(bareGit('show', 'refs/heads/main:feature-e.txt'), 'feature-e');
  });

  it('protectBranch refuses pushes to the branch that carry REMOTE_USER, with GitHub GH006 text', async () => {
    await forge.protectBranch('acme', 'config', 'main');
    await forge.protectBranch('acme', 'config', 'release');
    git('fetch', '-q', 'origin');
    git('checkout', '-q', '-B', 'main', 'origin/main');
    commitFile('pushed.txt', 'pushed\n', 'direct push');
    const pushed = git('rev-parse', 'HEAD');
    const push = (remoteUser: string | undefined, ref: string) =>
      spawnSync('git', ['push', 'origin', `HEAD:${ref}`], {
        cwd: work,
        env: cleanEnv(remoteUser ? { REMOTE_USER: remoteUser } : {}),
        encoding: 'utf8',
      });

    const oldMain = mainTip();
    const refused = push('rewind-world', 'refs/heads/main');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /error: GH006: Protected branch update failed for refs\/heads\/main\./);
    assert.match(refused.stderr, /error: Changes must be made through a pull request\./);
    assert.equal(mainTip(), oldMain);
    assert.notEqual(push('rewind-world', 'refs/heads/release').status, 0);

    const other = push('rewind-world', 'refs/heads/topic');
    assert.equal(other.status, 0, other.stderr);
    assert.equal(bareGit('rev-parse', 'refs/heads/topic'), pushed);

    const local = push(undefined, 'refs/heads/main');
    assert.equal(local.status, 0, local.stderr);
    assert.equal(mainTip(), pushed);
  });
});
