/**
 * Fuzz: several hundred mutations of rewind.example.yaml through the loader. Each is either
 * refused with a ConfigError whose every problem names the file, the line, what is wrong and the
 * fix (never another exception, never leaked internals), or accepted, and then the loaded config
 * keeps the rules a run relies on (checked here independently of the loader's own code paths).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseDuration } from '../../../src/lib/config/duration.js';
import { nextFireTimes, parseCron } from '../../../src/lib/config/cron.js';
import { ConfigError, formatProblem, parseConfig, resolveTarget } from '../../../src/lib/config/load.js';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import { targetSnapshot } from '../../../src/lib/runs.js';
import { LEAKS, PROTOTYPE_KEYS } from '../support/entry-config.js';
import { fuzz, fuzzSeed, randomText, WORDS, type Rng } from './prng.js';

const CASES = 400;
const example = await readFile(new URL('../../../rewind.example.yaml', import.meta.url), 'utf8');
const lines = example.split('\n');

const VALUES = [
  ...PROTOTYPE_KEYS,
  '',
  '""',
  '-x',
  '--upload-pack=touch /tmp/x',
  '../../etc',
  '/etc',
  'apps/../..',
  'javascript:alert(1)',
  '"ext::sh -c x"',
  'git://h/x.git',
  'file:///tmp/x.git',
  '0s',
  '-5m',
  '999999d',
  '1.5h',
  '30 seconds',
  'abc',
  '[]',
  '{}',
  'null',
  '~',
  'true',
  '0',
  '-1',
  '1e308',
  '"a\\u0000b"',
  '"a\\nb"',
  '"\\u202e"',
  'x'.repeat(400),
  '"0 25 * * *"',
  '"* * * * *"',
  '"0 0 31 2 *"',
  '"@every 5m"',
  'Mars/Olympus',
  'UTC',
  '&anchor x',
  '*anchor',
  '!!binary aGVsbG8=',
  '!!js/function "x"',
  '{ __proto__: { polluted: true } }',
  'prod',
  'staging',
  'alice',
  'bob',
  'users-api',
  'config',
  'prod-eu',
  'a..b',
  'main.lock',
  '"@{1}"',
  'https://user:pw@host/x',
  'http://ok.test',
];
const BOMB =
  'x1: &a1 [a,a,a,a,a,a,a,a,a,a]\nx2: &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1]\n' +
  'x3: &a3 [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2]\nx4: &a4 ' +
  '[*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3,*a3]\nx5: [*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4,*a4]';

function mutate(r: Rng): string {
  const out = [...lines];
  const times = 1 + r.int(3);
  for (let n = 0; n < times; n++) {
    const i = r.int(out.length);
    const line = out[i] ?? '';
    switch (r.int(10)) {
      case 0:
      case 1:
      case 2: {
        // a value replaced
        const at = line.indexOf(': ');
        if (at >= 0) out[i] = `${line.slice(0, at + 2)}${r.pick(VALUES)}`;
        break;
      }
      case 3: {
        // a value inside a flow mapping replaced
        const m = /(\{[^}]*?:\s*)([^,}]+)/.exec(line);
        if (m) out[i] = line.replace(m[0], `${m[1]}${r.pick(VALUES)}`);
        break;
      }
      case 4:
        out.splice(i, 1);
        break;
      case 5:
        out.splice(i, 0, line);
        break;
      case 6:
        out[i] = r.chance(0.5) ? `  ${line}` : line.replace(/^ {2}/, '');
        break;
      case 7: {
        // a key renamed
        const m = /^(\s*)([A-Za-z_-]+):/.exec(line);
        if (m)
          out[i] = line.replace(`${m[2]}:`, `${r.pick([...PROTOTYPE_KEYS, 'nope', m[2]!.toUpperCase(), `${m[2]}s`])}:`);
        break;
      }
      case 8:
        out.splice(
          i,
          0,
          r.pick([
            BOMB,
            `deep: ${'['.repeat(50 + r.int(5000))}${']'.repeat(50 + r.int(5000))}`,
            '__proto__: { polluted: true }',
            `${' '.repeat(r.int(8))}${randomText(r, 30)}`,
          ]),
        );
        break;
      default: {
        const text = out.join('\n');
        return text.slice(0, r.int(text.length)) + (r.chance(0.5) ? randomText(r, 20) : '');
      }
    }
  }
  return out.join('\n');
}

/** What a run relies on, checked on an accepted config without the loader's helpers. */
function checkAccepted(cfg: RewindConfig): void {
  const own = (o: object, k: string) => Object.hasOwn(o, k);
  assert.equal(Object.getPrototypeOf(cfg.apps), Object.prototype, 'no polluted prototype');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  for (const [appName, app] of Object.entries(cfg.apps)) {
    for (const h of [...app.owners, ...app.approvers]) assert.ok(own(cfg.people, h), `person ${h}`);
    for (const [envName, env] of Object.entries(app.environments)) {
      assert.ok(own(cfg.clusters, env.cluster) && own(cfg.repos, env.repo), `${appName}/${envName} references`);
      assert.ok(
        !env.path.startsWith('/') && !env.path.split('/').includes('..') && !env.path.startsWith('-'),
        `path ${env.path}`,
      );
      const repo = cfg.repos[env.repo]!;
      assert.ok(!repo.url.startsWith('-') && !repo.url.includes('::') && !/\s/.test(repo.url), `url ${repo.url}`);
      assert.ok(
        !repo.branch.startsWith('-') && !repo.branch.includes('..') && !repo.branch.includes('@{'),
        `branch ${repo.branch}`,
      );
      for (const link of [repo.webUrl, env.health.probeUrl, cfg.temporal.uiUrl])
        if (link) assert.match(link, /^https?:\/\//i);
      const t = targetSnapshot(cfg, appName, envName);
      assert.equal(resolveTarget(cfg, appName, envName).envName, envName);
      for (const ms of [t.health.windowMs, t.health.timeoutMs, t.approval.timeoutMs])
        assert.ok(ms > 0 && Number.isFinite(ms), `duration ${ms}`);
      if (t.approval.required && !t.approval.allowCliYes) {
        for (const o of t.owners) {
          const others = new Set(
            t.approvers.map((p) => p.handle).filter((h) => t.approval.allowSelfApproval || h !== o.handle),
          );
          assert.ok(others.size >= t.approval.minApprovers, `${appName}/${envName}: ${o.handle} can be approved`);
        }
      }
    }
  }
  for (const d of cfg.drills) {
    if (!d.schedule) continue;
    const c = parseCron(d.schedule.cron);
    assert.ok(c.ok, d.schedule.cron);
    assert.equal(nextFireTimes(c.spec, d.schedule.timezone, new Date(), 1).length, 1, 'the schedule fires');
    for (const v of [d.targets.timeToDetect, d.targets.timeToRestore]) assert.ok(parseDuration(v)! > 0);
  }
}

describe('fuzz: rewind.yaml', () => {
  it(
    `${CASES} mutations of rewind.example.yaml: a ConfigError ` +
      `with file, line and fix, or a config that keeps the rules`,
    async (t) => {
      const seed = fuzzSeed(20_260_300);
      let refused = 0;
      await fuzz('rewind.yaml', seed, CASES, mutate, (text) => {
        let cfg: RewindConfig;
        try {
          cfg = parseConfig(text, 'rewind.yaml');
        } catch (err) {
          assert.ok(
            err instanceof ConfigError,
            `only ConfigError, got ${(err as Error).name}: ${(err as Error).message}`,
          );
          assert.ok(err.problems.length > 0);
          for (const p of err.problems) {
            assert.equal(p.file, 'rewind.yaml');
            assert.ok(p.line !== undefined && p.line > 0, `a line: ${formatProblem(p)}`);
            assert.ok(p.message.trim() && p.fix.trim(), formatProblem(p));
            assert.doesNotMatch(formatProblem(p), LEAKS, formatProblem(p));
          }
          refused++;
          return;
        }
        checkAccepted(cfg);
      });
      t.diagnostic(`seed ${seed}: ${refused} refused, ${CASES - refused} accepted`);
      void WORDS;
    },
  );
});
