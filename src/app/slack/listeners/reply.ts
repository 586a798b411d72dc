/**
 * How listeners answer: always ephemeral (only the person who asked sees it; the channel gets
 * the run message from the workflow), and failures are logged without secrets.
 */
import type { RespondArguments, RespondFn } from '@slack/bolt';
import { scrubSecrets } from '../../../lib/log.js';
import { RefusedError } from '../../../lib/runs.js';
import type { ListenerDeps } from './deps.js';

export const ephemeral = (text: string): RespondArguments => ({
  response_type: 'ephemeral',
  replace_original: false,
  text,
});

/** Answers a refusal with its own message (it says what to do) and anything else with a short apology. */
export async function replyWithError(
  deps: ListenerDeps,
  respond: RespondFn,
  err: unknown,
  what: string,
  workflowId?: string,
): Promise<void> {
  let text: string;
  if (err instanceof RefusedError) {
    text = `:no_entry: ${err.message}`;
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    deps.logger.error(
      { err: { name: e.name, message: scrubSecrets(e.message), stack: e.stack && scrubSecrets(e.stack) }, workflowId },
      `${what} failed`,
    );
    text =
      `:warning: Sorry, ${what} failed unexpectedly${workflowId ? ` (run ${workflowId})` : ''}. ` +
      `The error was logged; try again, or use the CLI (\`rewind status\`).`;
  }
  await safeRespond(deps, respond, ephemeral(text));
}

/** A response_url can expire or be unreachable; that must not crash the listener. */
export async function safeRespond(deps: ListenerDeps, respond: RespondFn, message: RespondArguments): Promise<void> {
  try {
    await respond(message);
  } catch (err) {
    deps.logger.warn(
      { err: { message: scrubSecrets(err instanceof Error ? err.message : String(err)) } },
      'could not answer through response_url',
    );
  }
}
