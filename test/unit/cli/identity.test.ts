import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliHandle, cliPerson } from '../../../src/cli/identity.js';
import { RefusedError } from '../../../src/runs.js';
import { testConfig } from '../slack/config-fixture.js';

describe('CLI identity', () => {
  const os = () => 'osuser';

  it('prefers --as, then REWIND_USER, then the OS user', () => {
    assert.equal(cliHandle('bob', { REWIND_USER: 'alice' }, os), 'bob');
    assert.equal(cliHandle(undefined, { REWIND_USER: 'alice' }, os), 'alice');
    assert.equal(cliHandle(undefined, {}, os), 'osuser');
    assert.equal(cliHandle('  ', { REWIND_USER: ' ' }, os), 'osuser', 'blank values do not count');
  });

  it('maps the handle to the person in rewind.yaml', () => {
    assert.deepEqual(cliPerson(testConfig(), undefined, { REWIND_USER: 'nobody' }, os), { handle: 'nobody', name: 'No Slack', email: 'nobody@acme.test' });
  });

  it('refuses a handle that is not a person, saying where to add it', () => {
    assert.throws(() => cliPerson(testConfig(), undefined, {}, os), (err: unknown) =>
      err instanceof RefusedError && err.code === 'not-authorized' && /"osuser" is not a person in rewind\.yaml; add them under people:/.test(err.message));
  });
});
