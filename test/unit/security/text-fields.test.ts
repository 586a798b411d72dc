/**
 * Free text (reason, comment, live change, incident id) through Slack and the CLI: control and
 * direction characters are refused with a message naming the field, before anything starts, and
 * both entry points enforce the same length limit per field (src/lib/input-limits.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEXT_LIMITS } from '../../../src/lib/input-limits.js';
import { cliHarness, type CliHarness } from '../support/cli-harness.js';
import { ENTRY_CONFIG_YAML, entryConfig, LEAKS } from '../support/entry-config.js';
import { slackHarness } from '../support/slack-harness.js';

const BAD: Array<[string, string]> = [
  ['NUL', '\u0000'],
  ['line break', '\n'],
  ['tab', '\t'],
  ['ESC', '\u001b'],
  ['DEL', '\u007f'],
  ['C1 NEL', '\u0085'],
  ['line separator', '\u2028'],
  ['right-to-left override', '\u202e'],
];

describe('text fields through Slack', () => {
  const slack = slackHarness(entryConfig());
  for (const [what, ch] of BAD) {
    it(`${what}: refused in the ack, naming the field; nothing started`, async () => {
      for (const [command, text, field] of [
        ['/rollback', `users-api prod "5xx ${ch} after deploy"`, /the reason contains/],
        [
          '/emergency',
          `users-api prod --change "configmap/users-api-env A=1${ch}" failover`,
          /--change "configmap\/users-api-env A=1.*" contains/,
        ],
        ['/emergency', `users-api prod --change "configmap/users-api-env A=1" "fail${ch}over"`, /the reason contains/],
        ['/emergency', `resolve users-api prod --comment "in git${ch}now"`, /the comment contains/],
        ['/emergency', `abandon users-api prod --confirm --comment "git${ch}wins"`, /the comment contains/],
        ['/rollback', `users-api prod --incident "INC${ch}1" 5xx`, /--incident ".*" is not an incident id/],
      ] as const) {
        const r = await slack.send(command, text);
        assert.equal(r.acks, 1);
        assert.deepEqual(r.effects, [], `${command} ${JSON.stringify(text)}`);
        assert.match(r.texts[0] ?? '', field, `${command} ${JSON.stringify(text)}: ${r.texts.join('\n')}`);
        assert.ok(!r.texts.join('\n').includes(ch) || ch === '\n', 'the character is never echoed as itself');
        assert.doesNotMatch(r.texts.join('\n'), LEAKS);
      }
    });
  }
});

describe('text fields through the CLI', () => {
  let cli: CliHarness;
  before(async () => {
    cli = await cliHarness(ENTRY_CONFIG_YAML);
  });
  after(async () => {
    await cli.close();
  });

  for (const [what, ch] of BAD) {
    it(`${what}: exit 1 before connecting, naming the field`, async () => {
      for (const [args, field] of [
        [
          ['rollback', 'users-api', '--env', 'prod', '--reason', `5xx${ch}again`, '--as', 'alice'],
          /the reason contains/,
        ],
        [
          [
            'emergency',
            'users-api',
            '--env',
            'prod',
            '--change',
            `configmap/users-api-env A=1${ch}B=2`,
            '--reason',
            'x',
            '--as',
            'alice',
          ],
          /--change "configmap\/users-api-env A=1.*" contains/,
        ],
        [
          [
            'emergency',
            'users-api',
            '--env',
            'prod',
            '--change',
            'configmap/users-api-env A=1',
            '--reason',
            `x${ch}y`,
            '--as',
            'alice',
          ],
          /the reason contains/,
        ],
        [['approve', 'users-api', '--env', 'prod', '--comment', `ok${ch}ok`, '--as', 'bob'], /--comment contains/],
        [['reject', 'users-api', '--env', 'prod', '--comment', `no${ch}no`, '--as', 'bob'], /--comment contains/],
        [['cancel', 'users-api', '--env', 'prod', '--reason', `stop${ch}it`, '--as', 'alice'], /--reason contains/],
        [
          ['resolve', 'users-api', '--env', 'prod', '--comment', `in git${ch}now`, '--as', 'alice'],
          /--comment contains/,
        ],
        [
          ['abandon', 'users-api', '--env', 'prod', '--confirm', '--comment', `git${ch}wins`, '--as', 'alice'],
          /--comment contains/,
        ],
        [
          ['rollback', 'users-api', '--env', 'prod', '--reason', 'x', '--incident', `INC${ch}1`, '--as', 'alice'],
          /is not an incident id/,
        ],
      ] as const) {
        const r = await cli.run(...args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
        assert.equal(r.connected, false, 'refused before connecting to Temporal');
        assert.match(r.err, field, r.err);
        assert.ok(!r.err.includes(ch) || ch === '\n', 'the character is never echoed as itself');
      }
    });
  }

  it('Slack and the CLI share one limit per field: the reason, the comment, the change', async () => {
    const slack = slackHarness(entryConfig());
    for (const [field, limit] of Object.entries(TEXT_LIMITS)) assert.ok(limit > 0, field);
    const at = 'r'.repeat(TEXT_LIMITS.reason),
      over = `${at}r`;
    const okSlack = await slack.send('/rollback', `users-api prod ${at}`);
    assert.deepEqual(okSlack.effects, ['start runbookWorkflow rewind/users-api/prod'], okSlack.texts.join('\n'));
    const okCli = await cli.run(
      'rollback',
      'users-api',
      '--env',
      'staging',
      '--reason',
      at,
      '--as',
      'alice',
      '--no-wait',
    );
    assert.equal(okCli.code, 0, okCli.err);
    const slackOver = await slack.send('/rollback', `users-api staging ${over}`);
    const cliOver = await cli.run('rollback', 'users-api', '--env', 'staging', '--reason', over, '--as', 'alice');
    assert.match(slackOver.texts[0]!, /the reason is 501 characters; keep it to at most 500/);
    assert.match(cliOver.err, /the reason is 501 characters; keep it to at most 500/);
    const comment = 'c'.repeat(TEXT_LIMITS.comment + 1);
    assert.match(
      (await slack.send('/emergency', `resolve users-api prod --comment "${comment}"`)).texts[0]!,
      /the comment is 501 characters; keep it to at most 500/,
    );
    assert.match(
      (await cli.run('resolve', 'users-api', '--env', 'prod', '--comment', comment, '--as', 'alice')).err,
      /--comment is 501 characters; keep it to at most 500/,
    );
    const change = `configmap/users-api-env A=${'v'.repeat(TEXT_LIMITS.change)}`;
    assert.match(
      (await slack.send('/emergency', `users-api prod --change "${change}" why`)).texts[0]!,
      new RegExp(`is ${change.length} characters; keep it to at most ${TEXT_LIMITS.change}`),
    );
    assert.match(
      (await cli.run('emergency', 'users-api', '--env', 'prod', '--change', change, '--reason', 'why', '--as', 'alice'))
        .err,
      new RegExp(`is ${change.length} characters; keep it to at most ${TEXT_LIMITS.change}`),
    );
  });
});
