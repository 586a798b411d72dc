/**
 * Fuzz: several hundred generated argument lists through the CLI in-process (over a fake
 * Temporal client). Each exits with a code and a clear message, never an escaped exception or
 * leaked internals; a refusal changes nothing in Temporal; and the CLI still answers afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forbiddenChar } from '../../../src/lib/input-limits.js';
import { cliHarness, type CliHarness } from '../support/cli-harness.js';
import { ENTRY_CONFIG_YAML, LEAKS } from '../support/entry-config.js';
import { fuzz, fuzzSeed, mutateTokens, randomText, token, type Rng } from './prng.js';

const CASES = 300;

/** Valid invocations to start from (all take their decisions before or without Temporal). */
const SEEDS: string[][] = [
  ['rollback', 'users-api', '--env', 'prod', '--reason', '5xx after 1.42', '--as', 'alice', '--no-wait'],
  [
    'rollback',
    'billing-worker',
    '--env',
    'prod',
    '--to',
    'abc1234',
    '--incident',
    'INC-42',
    '--reason',
    'queue stuck',
    '--as',
    'bob',
    '--no-wait',
  ],
  [
    'emergency',
    'users-api',
    '--env',
    'staging',
    '--change',
    'configmap/users-api-env LOG_LEVEL=debug',
    '--reason',
    'need logs',
    '--as',
    'alice',
    '--no-wait',
  ],
  ['status'],
  ['status', 'users-api', '--json'],
  ['approve', 'users-api', '--env', 'prod', '--as', 'bob', '--comment', 'looks right'],
  ['reject', 'users-api', '--as', 'bob'],
  ['cancel', 'users-api', '--env', 'prod', '--as', 'alice', '--reason', 'wrong app'],
  ['resolve', 'users-api', '--env', 'prod', '--as', 'alice'],
  ['abandon', 'users-api', '--env', 'prod', '--confirm', '--as', 'alice'],
  ['timeline', 'users-api', '--env', 'prod', '--format', 'json'],
  ['timeline', '--incident', 'INC-42', '--lookback', '2h'],
  ['drills', 'list'],
  ['drills', 'run', 'users-api-dev-drift', '--as', 'alice', '--no-wait'],
  ['drills', 'pause', 'users-api-staging-rollback', '--as', 'alice'],
  ['drills', 'report', '--since', '7d', '--format', 'json'],
  ['config', 'schema'],
];

const FLAGS = [
  '--env',
  '--reason',
  '--as',
  '--to',
  '--incident',
  '--change',
  '--comment',
  '--confirm',
  '--yes',
  '--json',
  '--no-wait',
  '--format',
  '--since',
  '--lookback',
  '--detected-at',
  '--run-id',
  '--source',
  '--git-base',
  '--git-file',
  '--git-path',
  '--force',
  '-h',
  '--',
  '-',
];

function generate(r: Rng): string[] {
  if (r.chance(0.1)) return Array.from({ length: r.int(6) }, () => randomText(r, 20));
  const pool = () => (r.chance(0.3) ? r.pick(FLAGS) : token(r, ['apps', 'envs', 'drills', 'people', 'free', 'dates']));
  return mutateTokens(r, r.pick(SEEDS), pool);
}

describe('fuzz: CLI arguments', () => {
  let cli: CliHarness;
  before(async () => {
    cli = await cliHarness(ENTRY_CONFIG_YAML);
  });
  after(async () => {
    await cli.close();
  });

  it(
    `${CASES} generated argument lists, ` +
      `each refused clearly or valid, ` +
      `none with a side effect ` +
      `unless valid`,
    async (t) => {
      const seed = fuzzSeed(20_260_200);
      let refused = 0,
        started = 0;
      const ran = await fuzz('rewind CLI', seed, CASES, generate, async (args, i) => {
        // --out writes a file: the only side effect outside Temporal; keep it out of the fuzz.
        const argv = args.filter((a) => a !== '--out');
        let r;
        try {
          r = await cli.run(...argv);
        } catch (err) {
          assert.fail(`runCli threw: ${(err as Error).stack}`);
        }
        assert.ok(Number.isInteger(r.code), 'an exit code');
        const text = `${r.out}\n${r.err}`;
        assert.doesNotMatch(r.err, LEAKS, r.err);
        assert.equal(
          forbiddenChar(r.err.replace(/\n/g, ' ')),
          undefined,
          `no control character reaches the terminal: ${JSON.stringify(r.err)}`,
        );
        if (r.code !== 0 && r.out === '') {
          assert.match(r.err, /\S/, 'a refusal says something');
        }
        if (r.effects.length > 0) {
          // Only a request that passed every check reaches Temporal: a start says so, a decision goes to the run.
          assert.equal(r.effects.length, 1, r.effects.join(', '));
          const [effect] = r.effects as [string];
          if (effect.startsWith('start ')) {
            assert.ok(
              argv.includes('rollback') || argv.includes('emergency') || argv.includes('run'),
              `only rollback, emergency and drills run start anything: ${effect}`,
            );
            assert.match(text, /Started /, `a start without "Started": ${text}`);
          } else {
            assert.match(
              effect,
              /^update rewind\/[a-z-]+\/[a-z]+$/,
              `only approve and reject send an update: ${effect}`,
            );
            assert.ok(argv.includes('approve') || argv.includes('reject'), effect);
          }
          started++;
        } else if (r.code !== 0) refused++;
        if (i % 50 === 49) {
          const ok = await cli.run('status', 'users-api');
          assert.equal(ok.code, 0, ok.err);
          assert.match(ok.out, /No runs in progress for users-api/);
        }
      });
      t.diagnostic(
        `seed ${seed}: ${refused} refused, ${started} reached Temporal (a start ` +
          `or a decision), ${ran - refused - started} answered without a change`,
      );
      assert.ok(
        refused > CASES / 4 || process.env.REWIND_FUZZ_CASE !== undefined,
        `most mutations are refused (${refused})`,
      );
      const after = await cli.run(
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
      assert.equal(after.code, 0, after.err);
      assert.deepEqual(after.effects, ['start runbookWorkflow rewind/users-api/prod']);
    },
  );
});
