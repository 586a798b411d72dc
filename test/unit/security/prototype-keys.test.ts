/**
 * Every name the object prototype answers to (`constructor`, `__proto__`, `toString`,
 * `hasOwnProperty`, `valueOf`…), sent through every entry point in every position a person
 * types a name: app, environment, person, drill, Slack user. Each must be refused like any
 * unknown name, in one clear answer, with nothing started; and the app keeps answering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveTarget } from '../../../src/lib/config/load.js';
import { person, targetSnapshot } from '../../../src/lib/runs.js';
import { cliHarness, type CliHarness } from '../support/cli-harness.js';
import { ENTRY_CONFIG_YAML, entryConfig, LEAKS, PROTOTYPE_KEYS } from '../support/entry-config.js';
import { slackHarness, type SlashCommand } from '../support/slack-harness.js';

const cfg = entryConfig();
/** How a refusal names the word: as typed, or with control characters escaped (src/lib/input-limits.ts shown). */
const escaped = (k: string) => k.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&');
const named = (k: string) => new RegExp(`"${escaped(k)}"|\\(${escaped(k)}\\)`);
const REFUSAL =
  /unknown app|is not an app name|has no environment|no drill|unknown subcommand|not a person|Slack user|neither an app|no runs are tagged/;

describe('prototype keys: the lookups', () => {
  it(`${PROTOTYPE_KEYS.length} keys, from Object.prototype itself`, () => {
    for (const k of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'prototype'])
      assert.ok(PROTOTYPE_KEYS.includes(k), k);
  });

  it('resolveTarget, targetSnapshot and person treat each as unknown', () => {
    for (const k of PROTOTYPE_KEYS) {
      assert.throws(() => resolveTarget(cfg, k, 'prod'), new RegExp(`unknown app ${named(k).source}`), k);
      assert.throws(() => resolveTarget(cfg, 'users-api', k), new RegExp(`has no environment ${named(k).source}`), k);
      assert.throws(() => resolveTarget(cfg, 'billing-worker', k), /has no environment/, k);
      assert.throws(() => targetSnapshot(cfg, k), /unknown app/, k);
      assert.throws(() => person(cfg, k), /is not a person in rewind\.yaml/, k);
    }
  });
});

describe('prototype keys through every slash command', () => {
  const slack = slackHarness(cfg);
  const cases = (k: string): Array<[SlashCommand, string, string?]> => [
    ['/rollback', `${k} prod 5xx after deploy`],
    ['/rollback', `users-api ${k} 5xx after deploy`],
    ['/rollback', `status ${k}`],
    ['/rollback', 'users-api prod 5xx after deploy', k],
    ['/emergency', `${k} prod --change "configmap/users-api-env A=b" failover`],
    ['/emergency', `users-api ${k} --change "configmap/users-api-env A=b" failover`],
    ['/emergency', `status ${k}`],
    ['/emergency', `resolve ${k} prod`],
    ['/emergency', `resolve users-api ${k}`],
    ['/emergency', `abandon ${k} prod --confirm`],
    ['/emergency', `abandon users-api ${k} --confirm`],
    ['/emergency', 'users-api prod --change "configmap/users-api-env A=b" failover', k],
    ['/gameday', k],
    ['/gameday', `run ${k}`],
    ['/gameday', `pause ${k}`],
    ['/gameday', `resume ${k}`],
    ['/gameday', `abort ${k}`],
    ['/gameday', 'run users-api-dev-drift', k],
    ['/timeline', `${k} prod`],
    ['/timeline', `${k}/prod`],
    ['/timeline', `users-api ${k}`],
    ['/timeline', k],
    ['/timeline', 'users-api prod', k],
  ];

  for (const k of PROTOTYPE_KEYS) {
    it(`"${k}": refused in one answer that names it, nothing started`, async () => {
      for (const [command, text, user] of cases(k)) {
        const where = `${command} ${text}${user ? ` (as Slack user ${user})` : ''}`;
        const r = await slack.send(command, text, user);
        assert.equal(r.threw, undefined, `${where}: the listener threw ${String(r.threw)}`);
        assert.equal(r.acks, 1, `${where}: exactly one ack`);
        assert.deepEqual(r.effects, [], `${where}: nothing started`);
        assert.equal(r.uploads, 0, `${where}: nothing uploaded`);
        const text_ = r.texts.join('\n');
        assert.match(text_, REFUSAL, `${where}: ${text_}`);
        assert.match(text_, named(k), `${where}: the answer names "${k}": ${text_}`);
        assert.doesNotMatch(text_, LEAKS, `${where}: ${text_}`);
      }
    });
  }

  it('and the app still answers: a valid /rollback and /emergency start afterwards', async () => {
    const rollback = await slack.send('/rollback', 'users-api prod 5xx after 1.42');
    assert.deepEqual(rollback.effects, ['start runbookWorkflow rewind/users-api/prod'], rollback.texts.join('\n'));
    const emergency = await slack.send(
      '/emergency',
      'billing-worker --change "configmap/billing-worker-env QUEUE=b" queue stuck',
      'U_BOB',
    );
    assert.deepEqual(
      emergency.effects,
      ['start runbookWorkflow rewind/billing-worker/prod'],
      emergency.texts.join('\n'),
    );
  });
});

describe('prototype keys through every CLI command', () => {
  let cli: CliHarness;
  before(async () => {
    cli = await cliHarness(ENTRY_CONFIG_YAML);
  });
  after(async () => {
    await cli.close();
  });

  const cases = (k: string): string[][] => [
    ['rollback', k, '--env', 'prod', '--reason', 'x', '--as', 'alice'],
    ['rollback', 'users-api', '--env', k, '--reason', 'x', '--as', 'alice'],
    ['rollback', 'users-api', '--env', 'prod', '--reason', 'x', '--as', k],
    ['emergency', k, '--env', 'prod', '--change', 'configmap/users-api-env A=b', '--reason', 'x', '--as', 'alice'],
    ['emergency', 'users-api', '--env', k, '--change', 'configmap/users-api-env A=b', '--reason', 'x', '--as', 'alice'],
    ['emergency', 'users-api', '--env', 'prod', '--change', 'configmap/users-api-env A=b', '--reason', 'x', '--as', k],
    ['status', k],
    ['approve', k, '--as', 'bob'],
    ['approve', 'users-api', '--env', k, '--as', 'bob'],
    ['approve', 'users-api', '--env', 'prod', '--as', k],
    ['reject', k, '--as', 'bob'],
    ['reject', 'users-api', '--env', k, '--as', 'bob'],
    ['cancel', k, '--as', 'alice'],
    ['cancel', 'users-api', '--env', k, '--as', 'alice'],
    ['cancel', 'users-api', '--env', 'prod', '--as', k],
    ['resolve', k, '--env', 'prod', '--as', 'alice'],
    ['resolve', 'users-api', '--env', k, '--as', 'alice'],
    ['abandon', k, '--env', 'prod', '--confirm', '--as', 'alice'],
    ['abandon', 'users-api', '--env', k, '--confirm', '--as', 'alice'],
    ['timeline', k, '--env', 'prod'],
    ['timeline', 'users-api', '--env', k],
    ['timeline', `${k}/prod`],
    ['drills', 'run', k, '--as', 'alice'],
    ['drills', 'pause', k, '--as', 'alice'],
    ['drills', 'resume', k, '--as', 'alice'],
    ['drills', 'abort', k, '--as', 'alice'],
    ['drills', 'run', 'users-api-dev-drift', '--as', k],
  ];

  for (const k of PROTOTYPE_KEYS) {
    it(`"${k}": exit 1 with a message that names it, refused before connecting to Temporal`, async () => {
      for (const args of cases(k)) {
        const where = `rewind ${args.join(' ')}`;
        const r = await cli.run(...args);
        assert.equal(r.code, 1, `${where}: ${r.err}`);
        assert.equal(r.out, '', where);
        assert.equal(r.connected, false, `${where}: refused before connecting`);
        assert.deepEqual(r.effects, [], where);
        assert.match(r.err, REFUSAL, `${where}: ${r.err}`);
        assert.match(r.err, named(k), `${where}: ${r.err}`);
        assert.doesNotMatch(r.err, LEAKS, `${where}: ${r.err}`);
      }
    });
  }

  it('and the CLI still answers: a valid rollback starts afterwards', async () => {
    const r = await cli.run(
      'rollback',
      'users-api',
      '--env',
      'prod',
      '--reason',
      '5xx after 1.42',
      '--as',
      'alice',
      '--no-wait',
    );
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.effects, ['start runbookWorkflow rewind/users-api/prod']);
    assert.match(r.out, /Started rewind\/users-api\/prod/);
  });
});
