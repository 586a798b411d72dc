import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revertMessage } from '../../../src/lib/git/revert-message.js';

describe('revertMessage', () => {
  const base = {
    sha: 'a'.repeat(40),
    subject: 'promote users-api 1.42.0 to prod',
    runId: 'rewind/users-api/prod/r1',
    requestedBy: 'alice',
  };

  it("uses git's revert wording, then the reason, then the trailer block last", () => {
    assert.equal(
      revertMessage({ ...base, reason: '5xx after 1.42\r\n', incidentId: 'INC-7' }),
      `Revert "promote users-api 1.42.0 to prod"\n\nThis reverts commit ${'a'.repeat(40)}.\n\n5xx after 1.42\n\n` +
        'Rewind-Run: rewind/users-api/prod/r1\nRewind-Requested-By: alice\nRewind-Incident: INC-7\n',
    );
  });

  it('omits an empty reason and an absent incident', () => {
    assert.equal(
      revertMessage({ ...base, reason: '  ' }),
      `Revert "promote users-api 1.42.0 to prod"\n\nThis reverts commit ${'a'.repeat(40)}.\n` +
        `\nRewind-Run: rewind/users-api/prod/r1\nRewind-Requested-By: alice\n`,
    );
  });
});
