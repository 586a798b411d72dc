import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyPushError, redactCredentials } from '../../../src/lib/git/push.js';

const gitError = (stderr: string) => new Error(stderr);

describe('push outcomes', () => {
  it("sorts git's answers: someone pushed first, refused for good, or maybe transient", () => {
    assert.equal(
      classifyPushError(
        gitError(
          ' ! [rejected]        HEAD -> main (fetch first)\n' +
            "error: failed to push some refs to '/x'\nhint: Updates were rejected",
        ),
      )?.kind,
      'non-fast-forward',
    );
    assert.equal(
      classifyPushError(gitError(' ! [rejected]        HEAD -> main (non-fast-forward)'))?.kind,
      'non-fast-forward',
    );
    assert.equal(
      classifyPushError(
        gitError(" ! [remote rejected] HEAD -> main (cannot lock ref 'refs/heads/main': is at abc but expected def)"),
      )?.kind,
      'non-fast-forward',
    );
    const hook = classifyPushError(
      gitError(
        'remote: policy: no direct pushes\nTo /srv/config.git\n ! [remote rejected] HEAD -> ' +
          "main (pre-receive hook declined)\nerror: failed to push some refs to '/srv/config.git'",
      ),
    );
    assert.equal(hook?.kind, 'refused');
    assert.match(
      hook?.message ?? '',
      /^remote: policy: no direct pushes\n ! \[remote rejected\] HEAD -> main \(pre-receive hook declined\)\nerror: failed to push/,
    );
    assert.equal(
      classifyPushError(
        gitError(
          'remote: Permission to acme/config.git denied to bot.\nfatal: unable to access ' +
            "'https://github.com/acme/config.git/': The requested URL returned error: 403",
        ),
      )?.kind,
      'refused',
    );
    assert.equal(
      classifyPushError(gitError('remote: error: GH006: Protected branch update failed for refs/heads/main.'))?.kind,
      'refused',
    );
    assert.equal(
      classifyPushError(
        gitError("fatal: unable to access 'https://git.acme.test/': Could not resolve host: git.acme.test"),
      ),
      undefined,
    );
  });

  it('never repeats credentials from URLs or headers', () => {
    const text =
      "fatal: unable to access 'https://bot:ghp_s3cr3t@github.com/acme/config.git/': " +
      '403\nAuthorization: Basic Ym90OnNlY3JldA==';
    const clean = redactCredentials(text);
    assert.ok(!clean.includes('ghp_s3cr3t') && !clean.includes('Ym90OnNlY3JldA=='), clean);
    assert.match(clean, /https:\/\/\*\*\*@github\.com\/acme\/config\.git/);
    const refused = classifyPushError(
      gitError(
        "remote: denied\nerror: failed to push some refs to 'https://x-access-token:tok123@git.acme.test/config.git'",
      ),
    );
    assert.ok(refused && !refused.message.includes('tok123'), refused?.message);
  });
});
