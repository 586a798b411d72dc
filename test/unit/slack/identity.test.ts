import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slackIdentity } from '../../../src/app/slack/listeners/identity.js';
import { testConfig } from './config-fixture.js';

describe('slackIdentity', () => {
  const cfg = testConfig();

  it('maps a Slack user id to the person with that id', () => {
    const who = slackIdentity(cfg, 'U_ALICE');
    assert.ok(who.ok);
    assert.deepEqual(who.person, { handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test', slack: 'U_ALICE' });
  });

  it('refuses an unknown Slack user and says to add the id under people:', () => {
    const who = slackIdentity(cfg, 'U_STRANGER');
    assert.ok(!who.ok);
    assert.match(who.error, /U_STRANGER/);
    assert.match(who.error, /slack: U_STRANGER/);
    assert.match(who.error, /under people:/);
  });

  it('refuses a request without a user', () => {
    assert.ok(!slackIdentity(cfg, undefined).ok);
    assert.ok(!slackIdentity(cfg, '').ok);
  });
});
