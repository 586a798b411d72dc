/**
 * The four slash commands' listeners, built once over a fake Temporal client (fake-temporal.ts)
 * and called as Bolt would: one command at a time, recording the ack, the responses, the files
 * uploaded, and what would have changed in Temporal.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import pino from 'pino';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import { emergencyCommand } from '../../../src/app/slack/listeners/commands/emergency.js';
import { gamedayCommand } from '../../../src/app/slack/listeners/commands/gameday.js';
import { rollbackCommand } from '../../../src/app/slack/listeners/commands/rollback.js';
import { timelineCommand } from '../../../src/app/slack/listeners/commands/timeline.js';
import { fakeRewind } from './fake-temporal.js';

export const SLASH_COMMANDS = ['/rollback', '/emergency', '/gameday', '/timeline'] as const;
export type SlashCommand = (typeof SLASH_COMMANDS)[number];

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

export interface SlackResult {
  /** How many times the listener acked (Bolt needs exactly one, or Slack shows a timeout/404). */
  acks: number;
  /** The ack's text and every response's text, in order. */
  texts: string[];
  /** What changed in (fake) Temporal during this command. */
  effects: string[];
  uploads: number;
  /** An exception that escaped the listener (Bolt would answer 404/500). */
  threw?: unknown;
}

export function slackHarness(cfg: RewindConfig) {
  const rewind = fakeRewind(cfg);
  // An empty cluster map: `/emergency pauses` reads no real cluster from a unit test.
  const deps = { rewind, logger: pino({ level: 'silent' }), clusters: new Map() };
  const listeners: Record<SlashCommand, (args: Args) => Promise<void>> = {
    '/rollback': rollbackCommand(deps),
    '/emergency': emergencyCommand(deps),
    '/gameday': gamedayCommand(deps),
    '/timeline': timelineCommand(deps),
  };
  return {
    rewind,
    async send(name: SlashCommand, text: string, userId = 'U_ALICE'): Promise<SlackResult> {
      const before = rewind.temporal.effects.length;
      let acks = 0,
        uploads = 0;
      const texts: string[] = [];
      const textOf = (m: unknown) => (typeof m === 'string' ? m : (m as { text?: string } | undefined)?.text);
      const command = {
        command: name,
        text,
        user_id: userId,
        channel_id: 'C_X',
        response_url: 'http://127.0.0.1:9/none',
        trigger_id: 't',
        team_id: 'T',
        user_name: 'x',
        team_domain: 'x',
        channel_name: 'x',
        api_app_id: 'A',
        token: '',
      };
      const args = {
        command,
        body: command,
        payload: command,
        ack: async (m?: unknown) => {
          acks++;
          const t = textOf(m);
          if (t !== undefined) texts.push(t);
        },
        respond: async (m: unknown) => {
          const t = textOf(m);
          if (t !== undefined) texts.push(t);
        },
        client: {
          files: {
            uploadV2: async () => {
              uploads++;
              return { ok: true };
            },
          },
        },
        logger: pino({ level: 'silent' }),
      } as unknown as Args;
      let threw: unknown;
      try {
        await listeners[name](args);
      } catch (err) {
        threw = err;
      }
      return {
        acks,
        texts,
        effects: rewind.temporal.effects.slice(before),
        uploads,
        ...(threw !== undefined ? { threw } : {}),
      };
    },
  };
}
