import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubSecrets } from '../../../src/lib/log.js';
import { explainSocketStartError } from '../../../src/app/slack/socket-mode.js';

describe('Socket Mode start errors, as the operator reads them', () => {
  const platform = (error: string) =>
    Object.assign(new Error(`An API error occurred: ${error}`), {
      code: 'slack_webapi_platform_error',
      data: { ok: false, error },
    });

  for (const [error, says] of [
    ['invalid_auth', /Slack refused the app token \(invalid_auth\)/],
    ['not_authed', /no app token reached Slack/],
    ['not_allowed_token_type', /that is a bot or user token, not an app-level token/],
    ['account_inactive', /deactivated/],
    ['some_new_error', /apps\.connections\.open answered some_new_error/],
  ] as const) {
    it(`${error}: says what happened and what SLACK_APP_TOKEN must be`, () => {
      const e = explainSocketStartError(platform(error));
      assert.match(e.message, says);
      assert.match(e.message, /SLACK_APP_TOKEN must be an app-level token \(xapp-…\) with the connections:write scope/);
      assert.equal(e.slackError, error);
    });
  }

  it('an unreachable Slack names the egress the worker needs', () => {
    const e = explainSocketStartError({
      code: 'slack_webapi_request_error',
      original: { message: 'getaddrinfo ENOTFOUND slack.com' },
    });
    assert.match(
      e.message,
      /could not be reached \(getaddrinfo ENOTFOUND slack\.com\)\. The worker needs outbound HTTPS to slack\.com/,
    );
  });

  it('an HTTP error names its status', () => {
    assert.match(
      explainSocketStartError({ code: 'slack_webapi_http_error', statusCode: 503 }).message,
      /answered HTTP 503/,
    );
  });
});

describe('log scrubbing of Socket Mode text', () => {
  it('removes app tokens, bearer values and JSON token fields from free text', () => {
    const line =
      'Received a message on the WebSocket: ' +
      '{"envelope_id":"e1","payload":{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","user_id":"U_ALICE"}} ' +
      'Bearer xapp-1-A1-2-abc';
    const out = scrubSecrets(line);
    assert.ok(!out.includes('Jhj5dZrVaK7ZwHHjRyZWjbDl'));
    assert.ok(!out.includes('xapp-1-A1-2-abc'));
    assert.match(out, /"token":"\[Redacted\]","user_id":"U_ALICE"/);
  });
});
