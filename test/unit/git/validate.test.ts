import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFullSha, isShaPrefix } from '../../../src/lib/git/sha.js';
import {
  assertBranchName,
  assertCloneUrl,
  assertTrailerValue,
  formatIdent,
  normalizeRepoPath,
  UnsafeGitInputError,
} from '../../../src/lib/git/validate.js';

describe('git input validation', () => {
  it('accepts only hex shas of 7 to 40 characters', () => {
    for (const ok of ['abcdef0', 'a'.repeat(40)]) assert.ok(isShaPrefix(ok), ok);
    for (const bad of ['abcdef', 'a'.repeat(41), 'HEAD', 'ABCDEF0', '--all', 'abcdef0~1', 'abcdef0..main'])
      assert.ok(!isShaPrefix(bad), bad);
  });

  it('takes only 40 lowercase hex digits for a full sha', () => {
    assert.ok(isFullSha('a'.repeat(40)));
    for (const bad of [
      'abcdef0',
      'a'.repeat(39),
      'a'.repeat(41),
      'A'.repeat(40),
      `${'a'.repeat(40)}\n`,
      `sha1:${'a'.repeat(40)}`,
    ])
      assert.ok(!isFullSha(bad), bad);
  });

  it('normalizes repo paths and refuses escapes, options and pathspec magic', () => {
    assert.equal(normalizeRepoPath('path', 'apps/users-api/overlays/prod/'), 'apps/users-api/overlays/prod');
    assert.equal(normalizeRepoPath('path', 'apps/./x/../y'), 'apps/y');
    for (const bad of ['', '/etc', '../x', 'a/../../x', '-x', ':(exclude)apps', '.git/hooks', '.', 'a\nb']) {
      assert.throws(() => normalizeRepoPath('path', bad), UnsafeGitInputError, JSON.stringify(bad));
    }
  });

  it('refuses branch names and URLs git could read as options', () => {
    assertBranchName('main');
    assertBranchName('release/2024.1');
    for (const bad of ['-f', 'a..b', 'main~1', 'x y', 'a.lock', ''])
      assert.throws(() => assertBranchName(bad), UnsafeGitInputError, bad);
    assertCloneUrl('git@github.com:acme/config.git');
    for (const bad of ['', '--upload-pack=x', 'https://x\n-y'])
      assert.throws(() => assertCloneUrl(bad), UnsafeGitInputError, bad);
  });

  it('formats identities and refuses ones that would forge another', () => {
    assert.equal(formatIdent('r', { name: ' Alice Ops ', email: 'alice@acme.test' }), 'Alice Ops <alice@acme.test>');
    for (const bad of [
      { name: 'A <b@c>', email: 'x@y' },
      { name: 'A', email: 'x@y>\nz' },
      { name: '', email: 'x@y' },
      { name: 'A', email: 'nomail' },
    ]) {
      assert.throws(() => formatIdent('r', bad), UnsafeGitInputError);
    }
  });

  it('keeps trailer values on one line', () => {
    assertTrailerValue('runId', 'rewind/users-api/prod/abc');
    assert.throws(() => assertTrailerValue('runId', 'a\nRewind-Run: b'), UnsafeGitInputError);
    assert.throws(() => assertTrailerValue('runId', ' '), UnsafeGitInputError);
  });
});
