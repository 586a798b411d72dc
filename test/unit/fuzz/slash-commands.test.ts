/**
 * Fuzz: several hundred generated texts per slash command, through the real parsers and the
 * listeners (over a fake Temporal client). Each is answered with exactly one ack, never an
 * escaped exception; a refusal says what is wrong and starts nothing; internals never leak; and
 * the app still answers a valid command afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forbiddenChar } from '../../../src/lib/input-limits.js';
import { envNamesOf } from '../../../src/app/slack/command-text.js';
import { parseEmergency } from '../../../src/app/slack/parse-emergency.js';
import { parseGameday } from '../../../src/app/slack/parse-gameday.js';
import { parseRollback } from '../../../src/app/slack/parse-rollback.js';
import { entryConfig, LEAKS } from '../support/entry-config.js';
import { slackHarness, type SlashCommand } from '../support/slack-harness.js';
import { fuzz, fuzzSeed, mutateTokens, randomText, token, type Rng } from './prng.js';

const CASES = 300;
const cfg = entryConfig();
const names = envNamesOf(cfg);

/** Valid commands to start from; mutations turn most of them into refusals. */
const SEEDS: Record<SlashCommand, string[]> = {
  '/rollback': [
    'users-api prod 5xx after deploy',
    'billing-worker queue stuck',
    'users-api staging --to abc1234 --incident INC-42 login broken',
    'status',
    'status users-api',
    'help',
    'users-api prod -- --to is what broke',
  ],
  '/emergency': [
    'users-api prod --change "configmap/users-api-env LOG_LEVEL=debug" need logs',
    'billing-worker --change "deployment/billing-worker image=ghcr.io/acme/b:1.2" bad build',
    'users-api staging --git-base --change \'deployment/users-api {"spec":{"replicas":4}}\' scale',
    'status',
    'pauses',
    'resolve users-api prod',
    'abandon users-api prod --confirm --comment "git wins"',
    'help',
  ],
  '/gameday': [
    'list',
    'run users-api-dev-drift',
    'pause users-api-staging-rollback',
    'resume users-api-staging-rollback',
    'abort users-api-dev-drift',
    'report',
    'report 7d',
    'report 2026-03-01',
    'help',
  ],
  '/timeline': ['INC-42', 'users-api prod', 'users-api/staging', 'billing-worker', 'rewind/users-api/prod', 'help'],
};
/** Slack signs the user id; the odd ones here are names a lookup must not resolve. */
const USERS = ['U_ALICE', 'U_BOB', 'U_CAROL', 'U_MALLORY', 'U_NOBODY', 'constructor', '__proto__', ''];

const pool = (r: Rng) => () =>
  r.chance(0.25)
    ? r.pick([
        '--to',
        '--commit',
        '--incident',
        '--change',
        '--comment',
        '--confirm',
        '--git-base',
        '--force',
        '-y',
        '--',
        '-',
        '--to=abc1234',
        '--incident=INC-1',
        'status',
        'resolve',
        'abandon',
        'run',
        'pause',
        'report',
        'help',
        'abc1234',
        'INC-42',
        'configmap/users-api-env A=b',
      ])
    : token(r, ['apps', 'envs', 'drills', 'free', 'dates', 'people']);

function generate(command: SlashCommand) {
  return (r: Rng) => {
    const user = r.chance(0.85) ? r.pick(USERS.slice(0, 3)) : r.pick(USERS);
    if (r.chance(0.15)) return { user, text: randomText(r, 60) };
    const tokens = mutateTokens(r, r.pick(SEEDS[command]).split(' '), pool(r));
    let text = tokens.join(r.chance(0.1) ? '  ' : ' ');
    if (r.chance(0.05)) text = text.slice(0, r.int(text.length + 1));
    if (r.chance(0.03)) text = `${text} ${'x'.repeat(480 + r.int(60))}`;
    return { user, text };
  };
}

/** The parser's verdict, for the commands whose parser is pure. */
function parsed(command: SlashCommand, text: string): { ok: boolean; starts: boolean } {
  const p =
    command === '/rollback'
      ? parseRollback(text, names.envsOf, names.anyEnv)
      : command === '/emergency'
        ? parseEmergency(text, names)
        : command === '/gameday'
          ? parseGameday(
              text,
              cfg.drills.map((d) => d.name),
            )
          : undefined;
  if (!p) return { ok: true, starts: false };
  if (!p.ok) {
    assert.match(p.error, /\S/, 'a refusal says something');
    assert.match(p.error, /Usage:/, 'a refusal shows the usage');
    return { ok: false, starts: false };
  }
  return { ok: true, starts: p.value.kind === 'start' || p.value.kind === 'run' };
}

describe('fuzz: slash commands through the parsers and the listeners', () => {
  for (const [n, command] of (['/rollback', '/emergency', '/gameday', '/timeline'] as const).entries()) {
    it(
      `${command}: ` + `${CASES} generated texts, each refused clearly or valid, none with a side effect unless valid`,
      async (t) => {
        const slack = slackHarness(cfg);
        const seed = fuzzSeed(20_260_000 + n);
        let refused = 0,
          started = 0;
        const ran = await fuzz(command, seed, CASES, generate(command), async ({ user, text }, i) => {
          const verdict = parsed(command, text);
          const r = await slack.send(command, text, user);
          assert.equal(r.threw, undefined, `the listener threw: ${String(r.threw)}`);
          assert.equal(r.acks, 1, 'exactly one ack');
          assert.ok(
            r.texts.length >= 1 && r.texts.every((t) => t.trim().length > 0),
            `an answer: ${JSON.stringify(r.texts)}`,
          );
          const all = r.texts.join('\n');
          assert.doesNotMatch(all, LEAKS, all);
          assert.equal(
            forbiddenChar(all.replace(/\n/g, ' ')),
            undefined,
            `no control character is echoed: ${JSON.stringify(all)}`,
          );
          assert.doesNotMatch(all, /failed unexpectedly/, `an expected refusal, not an internal error: ${all}`);
          if (!verdict.ok) assert.match(r.texts[0]!, /^:no_entry: /, 'a parser refusal is the ack');
          if (r.effects.length > 0) {
            assert.ok(verdict.ok && verdict.starts, `only a valid start may start something: ${r.effects.join(', ')}`);
            assert.equal(r.effects.length, 1, 'one start');
            assert.doesNotMatch(all, /:no_entry:/);
            started++;
          } else if (/:no_entry:/.test(all)) refused++;
          // Every 50 inputs: the app still answers a valid command.
          if (i % 50 === 49) {
            const ok = await slack.send(
              command,
              command === '/rollback'
                ? 'status users-api'
                : command === '/emergency'
                  ? 'status'
                  : command === '/gameday'
                    ? 'list'
                    : 'help',
            );
            assert.equal(ok.acks, 1);
            assert.doesNotMatch(ok.texts.join('\n'), /:no_entry:|Sorry/);
          }
        });
        assert.ok(ran === CASES || process.env.REWIND_FUZZ_CASE !== undefined);
        assert.ok(
          refused > CASES / 4 || process.env.REWIND_FUZZ_CASE !== undefined,
          `most mutations are refused (${refused})`,
        );
        // And afterwards a valid start still starts.
        const after =
          command === '/rollback'
            ? await slack.send('/rollback', 'users-api prod 5xx after 1.42')
            : command === '/emergency'
              ? await slack.send(
                  '/emergency',
                  'billing-worker --change "configmap/billing-worker-env A=b" stuck',
                  'U_BOB',
                )
              : command === '/gameday'
                ? await slack.send('/gameday', 'run users-api-dev-drift')
                : await slack.send('/timeline', 'help');
        assert.equal(after.acks, 1);
        if (command !== '/timeline') assert.equal(after.effects.length, 1, after.texts.join('\n'));
        t.diagnostic(
          `seed ${seed}: ${refused} refused, ${started} started, ${ran - refused - started} answered without a change`,
        );
      },
    );
  }
});

describe('fuzz: the parsers alone never throw', () => {
  it('1000 random texts through each parser', async () => {
    await fuzz(
      'parsers',
      fuzzSeed(20_260_100),
      1000,
      (r) => randomText(r, 80),
      (text) => {
        for (const command of ['/rollback', '/emergency', '/gameday'] as const) parsed(command, text);
      },
    );
  });
});
