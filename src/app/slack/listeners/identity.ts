/**
 * Slack user id → rewind person. Slack only proves who clicked; what they may do is decided by
 * rewind.yaml through src/lib/runs.ts, so an id that maps to nobody is refused here with the fix.
 */
import type { RewindConfig } from '../../../lib/config/schema.js';
import { personBySlackId } from '../../../lib/runs.js';
import type { PersonRef } from '../../../../workflows/types.js';

export type Identity = { ok: true; person: PersonRef } | { ok: false; error: string };

export function slackIdentity(cfg: RewindConfig, slackUserId: string | undefined): Identity {
  if (!slackUserId) return { ok: false, error: 'This request carries no Slack user; rewind cannot tell who you are.' };
  const person = personBySlackId(cfg, slackUserId);
  if (person) return { ok: true, person };
  return {
    ok: false,
    error:
      `Your Slack user (${slackUserId}) is not a person in rewind.yaml, so rewind ` +
      `cannot tell who you are. Ask a rewind admin to add \`slack: ${slackUserId}\` ` +
      `to your entry under people: (with your name and email for the Git author).`,
  };
}
