/**
 * The safety properties of rewind's git runner (src/lib/git/run-git.ts), the ones simple-git gave
 * before it, each checked against a real git in a scratch repository.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCloneStore } from '../../../src/lib/git/cached-clone.js';
import {
  assertSafeArgs,
  assertSafeConfig,
  gitAt,
  gitEnv,
  GitError,
  UnsafeGitCommandError,
} from '../../../src/lib/git/run-git.js';

describe('git runner', () => {
  let dir: string;
  let scratch: string;
  let one: string;
  let two: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'rewind-run-git-'));
    dir = path.join(scratch, 'repo');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: dir,
        encoding: 'utf8',
      }).trim();
    execFileSync('git', ['init', '-q', '--initial-branch=main', dir]);
    git('commit', '-q', '--allow-empty', '-m', 'one');
    one = git('rev-parse', 'HEAD');
    git('commit', '-q', '--allow-empty', '-m', 'two');
    two = git('rev-parse', 'HEAD');
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  const withEnv = async <T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> => {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  };

  it('drops every ambient GIT_* variable and EDITOR, VISUAL, PAGER, PREFIX, SSH_ASKPASS; sets only its own', () => {
    const env = gitEnv({
      PATH: '/usr/bin',
      HOME: '/home/w',
      GIT_DIR: '/elsewhere',
      git_ssh_command: 'touch x',
      GIT_CONFIG_PARAMETERS: "'core.pager'='x'",
      GIT_CONFIG_GLOBAL: '/tmp/c',
      GIT_EXEC_PATH: '/tmp/e',
      EDITOR: 'vim',
      VISUAL: 'vim',
      PAGER: 'less',
      PREFIX: '/opt',
      SSH_ASKPASS: '/bin/x',
    });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/home/w',
      GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS: 'true',
      GIT_TERMINAL_PROMPT: '0',
    });
  });

  it('git does not see ambient GIT_DIR or GIT_CONFIG_PARAMETERS', async () => {
    const git = gitAt(dir, { config: ['user.name=rewind'] });
    const seen = await withEnv(
      { GIT_DIR: path.join(scratch, 'nowhere'), GIT_CONFIG_PARAMETERS: "'user.name'='mallory'" },
      async () => ({
        gitDir: (await git.raw(['rev-parse', '--absolute-git-dir'])).trim(),
        name: (await git.raw(['config', 'user.name'])).trim(),
      }),
    );
    assert.deepEqual(seen, { gitDir: path.join(dir, '.git'), name: 'rewind' });
  });

  it('refuses options that run a program or read another repository, before git runs', async () => {
    const git = gitAt(dir);
    const refused = [
      ['fetch', '--upload-pack=touch pwned', 'origin'],
      ['fetch', '--upload-pack', 'touch pwned'],
      ['push', '--receive-pack=x', 'origin'],
      ['push', '--exec=touch pwned', 'origin'],
      ['clone', '-u', 'touch pwned', 'x'],
      ['clone', '-qu', 'x', 'y'],
      ['clone', '--template=/t', 'x'],
      ['rebase', '-x', 'touch pwned'],
      ['rebase', '--exec=touch pwned'],
      ['-C', '/', 'status'],
      ['--git-dir=/x', 'status'],
      ['--work-tree=/x', 'status'],
      ['--exec-path=/x', 'status'],
      ['--config-env=core.pager=X', 'log'],
      ['-c', 'core.sshCommand=touch pwned', 'fetch'],
      ['-c', 'protocol.ext.allow=always', 'fetch'],
      ['-c', 'url.ext::x.insteadOf=https://', 'fetch'],
      ['-ccore.hooksPath=/tmp', 'commit'],
      ['-c', 'credential.https://x.helper=!touch pwned', 'push'],
      ['-c', 'alias.st=!touch pwned', 'st'],
    ];
    for (const args of refused) {
      assert.throws(() => assertSafeArgs(args), UnsafeGitCommandError, args.join(' '));
      await assert.rejects(git.raw(args), UnsafeGitCommandError, args.join(' '));
    }
    assert.equal(existsSync(path.join(dir, 'pwned')), false);
    assert.throws(() => gitAt(dir, { config: ['core.fsmonitor=touch pwned'] }), UnsafeGitCommandError);
    for (const key of [
      'filter.lfs.smudge',
      'diff.external',
      'gpg.program',
      'include.path',
      'includeIf.gitdir:/x.path',
      'remote.origin.uploadpack',
      'core.editor',
      'sequence.editor',
    ]) {
      assert.throws(() => assertSafeConfig(`${key}=x`), UnsafeGitCommandError, key);
    }
  });

  it('passes what rewind runs: paths after -- are not options, safe -c keys are fine', () => {
    for (const args of [
      ['log', '--format=%H', 'main', '--', ':(literal)--upload-pack=x'],
      ['rev-parse', '--verify', '--quiet', '--end-of-options', 'main^{commit}'],
      ['-c', 'user.name=rewind', 'commit', '--quiet', '--no-verify', '-F', 'msg'],
      ['clone', '--no-tags', '--', '-u', 'dir'],
      ['push', '--quiet', 'origin', 'HEAD:refs/heads/main'],
      ['fetch', '--prune', '--no-tags', 'origin'],
      ['log', '-c', '-1'],
      ['rev-parse', '--git-dir'],
    ])
      assert.doesNotThrow(() => assertSafeArgs(args), args.join(' '));
    assert.doesNotThrow(() =>
      gitAt(dir, { config: ['commit.gpgsign=false', 'core.autocrlf=false', 'user.email=r@x'] }),
    );
  });

  it('lets git refuse abbreviations of options (GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS)', async () => {
    const err = await gitAt(dir)
      .raw(['fetch', '--upload-p=touch pwned', 'origin'])
      .catch((e: unknown) => e);
    assert.ok(err instanceof GitError);
    assert.match(err.message, /disallowed abbreviated or ambiguous option 'upload-p'/);
    assert.equal(existsSync(path.join(dir, 'pwned')), false);
  });

  it('runs no shell: shell syntax in an argument reaches git as text', async () => {
    const out = await gitAt(dir).raw(['log', '-1', '--format=tformat:$(touch pwned); `touch pwned` | touch pwned']);
    assert.equal(out, '$(touch pwned); `touch pwned` | touch pwned\n');
    assert.equal(existsSync(path.join(dir, 'pwned')), false);
  });

  it('closes stdin: a command that reads it gets end-of-file instead of waiting', async () => {
    const empty = execFileSync('git', ['hash-object', '--stdin'], { input: '', encoding: 'utf8' }).trim();
    assert.equal((await gitAt(dir).raw(['hash-object', '--stdin'])).trim(), empty);
  });

  it("fails on any non-zero exit, also one that printed nothing; the message is git's output", async () => {
    assert.equal(await gitAt(dir).raw(['merge-base', '--is-ancestor', one, two]), '');
    const silent = await gitAt(dir)
      .raw(['merge-base', '--is-ancestor', two, one])
      .catch((e: unknown) => e);
    assert.ok(silent instanceof GitError);
    assert.deepEqual([silent.exitCode, silent.stdout, silent.stderr], [1, '', '']);
    assert.match(silent.message, /^git merge-base exited with code 1$/);
    const loud = await gitAt(dir)
      .raw(['show', 'no-such-rev'])
      .catch((e: unknown) => e);
    assert.ok(loud instanceof GitError);
    assert.equal(loud.exitCode, 128);
    assert.match(loud.message, /^fatal: ambiguous argument 'no-such-rev'/);
    assert.equal(loud.stderr, loud.message);
    await assert.rejects(gitAt(path.join(scratch, 'missing-dir')).raw(['status']), /ENOENT/);
  });

  it("a clone URL of the ext:: transport runs nothing (git's default, not loosened by the environment)", async () => {
    const store = createCloneStore({ cacheDir: path.join(scratch, 'cache') });
    const marker = path.join(scratch, 'ext-ran');
    await withEnv({ GIT_ALLOW_PROTOCOL: 'ext:file', GIT_PROTOCOL_FROM_USER: '1' }, () =>
      assert.rejects(
        store.use(`ext::sh -c touch% ${marker}`, async () => undefined),
        /transport 'ext' not allowed/,
      ),
    );
    assert.equal(existsSync(marker), false);
  });
});
