import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isAncestor } from '../../../src/lib/git/git-read.js';
import { gitAt } from '../../../src/lib/git/run-git.js';

describe('isAncestor', () => {
  it('answers no for a newer commit (git says no by exit code 1, without output)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rewind-anc-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'one');
    const one = git('rev-parse', 'HEAD');
    git('commit', '-q', '--allow-empty', '-m', 'two');
    const two = git('rev-parse', 'HEAD');
    const sg = gitAt(dir);
    assert.equal(await isAncestor(sg, one, two), true);
    assert.equal(await isAncestor(sg, two, one), false);
    assert.equal(await isAncestor(sg, one, one), true);
    assert.equal(await isAncestor(sg, 'deadbeef'.repeat(5), two), false);
  });
});
