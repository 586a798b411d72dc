import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyLines, drillTableLines } from '../../../src/app/cli/commands/drills.js';
import { authorizeDrill, DRILL_EXIT, drillRunId, scorecardLines } from '../../../src/lib/drills/operations.js';
import { runCli } from '../../../src/app/cli/program.js';
import { parseConfig } from '../../../src/lib/config/load.js';
import { parseSince } from '../../../src/lib/config/since.js';
import { listDrills } from '../../../src/lib/drills/schedules.js';
import { person } from '../../../src/lib/runs.js';
import type { Scorecard } from '../../../workflows/drills/types.js';
import { fakeRewind } from '../support/fake-temporal.js';

const CONFIG_YAML = `
temporal: { address: "127.0.0.1:1" }
slack: { defaultChannel: C_INCIDENTS }
people:
  alice: { name: Alice Ops, email: alice@acme.test, slack: U_ALICE }
  bob: { name: Bob Lead, email: bob@acme.test, slack: U_BOB }
  mallory: { name: Mallory Intern, email: mallory@acme.test, slack: U_MALLORY }
# The CLI entry points are tested with typed names (--as); src/app/cli/identity.ts has its own tests.
cli: { allowClaimedIdentity: true }
clusters: { sandbox: {} }
repos: { config: { url: /tmp/config.git } }
apps:
  users-api:
    owners: [alice]
    approvers: [bob]
    channel: C_USERS_API
    environments:
      dev: { cluster: sandbox, engine: { kind: argocd, name: users-api-dev }, repo: config, \
path: apps/users-api/overlays/dev, namespace: users-api-dev, workloads: [deployment/users-api], drillTarget: true }
ci: { identities: [ci-bot] }
drills:
  - { name: users-api-dev-drift, kind: drift, app: users-api, env: dev, schedule: { cron: "0 11 * * 2" } }
  - { name: ci-access-audit, kind: access-audit }
`;

async function cli(...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(['node', 'rewind', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const card = (over: Partial<Scorecard> = {}): Scorecard => ({
  schema: 'rewind.scorecard/v1',
  drill: 'users-api-dev-drift',
  kind: 'drift',
  app: 'users-api',
  env: 'dev',
  workflowId: 'rewind/users-api/dev',
  trigger: 'manual',
  startedAt: '2026-03-01T10:00:00.000Z',
  endedAt: '2026-03-01T10:01:00.000Z',
  outcome: 'passed',
  checks: [
    { name: 'drift detected', passed: true, detail: 'OutOfSync after 3s' },
    { name: 'time to heal within target', passed: false, detail: '75s (target 60s)' },
  ],
  timeToDetectMs: 3_200,
  timeToRestoreMs: 75_000,
  targets: { timeToDetectMs: 30_000, timeToRestoreMs: 60_000 },
  cleanup: { done: true, verified: true, detail: 'back to the pre-drill state' },
  runs: [],
  ...over,
});

describe('rewind drills: refusals before Temporal', () => {
  let dir: string;
  const saved = { ...process.env };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-drills-unit-'));
    await writeFile(path.join(dir, 'rewind.yaml'), CONFIG_YAML);
    process.env.REWIND_CONFIG = path.join(dir, 'rewind.yaml');
    delete process.env.REWIND_USER;
  });
  after(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  for (const [what, args, why] of [
    [
      'an unknown drill',
      ['run', 'nope', '--as', 'alice'],
      /no drill "nope" in rewind\.yaml; drills: users-api-dev-drift, ci-access-audit/,
    ],
    ['an unknown --as', ['run', 'ci-access-audit', '--as', 'eve'], /"eve" is not a person in rewind\.yaml/],
    [
      'a person who is neither owner nor approver of the app (run)',
      ['run', 'users-api-dev-drift', '--as', 'mallory'],
      /mallory is neither an owner nor an approver of users-api and cannot run its drill "users-api-dev-drift".*owners and approvers: alice, bob/,
    ],
    ['… (abort)', ['abort', 'users-api-dev-drift', '--as', 'mallory'], /cannot abort its drill/],
    ['… (pause)', ['pause', 'users-api-dev-drift', '--as', 'mallory'], /cannot pause its drill/],
    ['… (resume)', ['resume', 'users-api-dev-drift', '--as', 'mallory'], /cannot resume its drill/],
    ['an unknown report format', ['report', '--format', 'xml'], /--format "xml": use one of md, json/],
    ['a since that is not a date or a duration', ['report', '--since', 'yesterday'], /"yesterday" is neither a date/],
  ] as const) {
    it(`${what}: exit 1, the reason on stderr, no connection attempted`, async () => {
      const r = await cli('drills', ...args);
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out, '');
      assert.match(r.err, why);
      assert.doesNotMatch(r.err, /cannot reach Temporal/);
    });
  }

  it('an unknown subcommand or a missing drill name exits 1 (commander)', async () => {
    assert.equal((await cli('drills', 'start', 'x')).code, 1);
    assert.equal((await cli('drills', 'run')).code, 1);
    assert.equal((await cli('drills', 'list', '--format', 'x')).code, 1);
  });
});

describe('drill rules and rendering', () => {
  const cfg = parseConfig(CONFIG_YAML, 'test rewind.yaml');

  it('authorizeDrill: owners and approvers for an app drill, anyone in rewind.yaml for a cluster drill', () => {
    assert.equal(authorizeDrill(cfg, 'users-api-dev-drift', person(cfg, 'alice'), 'run').name, 'users-api-dev-drift');
    assert.equal(authorizeDrill(cfg, 'users-api-dev-drift', person(cfg, 'bob'), 'run').name, 'users-api-dev-drift');
    assert.throws(() => authorizeDrill(cfg, 'users-api-dev-drift', person(cfg, 'mallory'), 'run'), {
      name: 'RefusedError',
      code: 'not-authorized',
    });
    assert.equal(authorizeDrill(cfg, 'ci-access-audit', person(cfg, 'mallory'), 'run').kind, 'access-audit');
    assert.throws(() => authorizeDrill(cfg, 'nope', person(cfg, 'alice'), 'run'), {
      name: 'RefusedError',
      code: 'unknown-target',
    });
  });

  it('drillRunId: the app/env lock, or rewind/drill-audit/<name>', () => {
    assert.equal(drillRunId(cfg.drills[0]!), 'rewind/users-api/dev');
    assert.equal(drillRunId(cfg.drills[1]!), 'rewind/drill-audit/ci-access-audit');
  });

  it('parseSince: durations back from now and ISO dates; anything else refused', () => {
    const now = Date.parse('2026-03-08T00:00:00Z');
    assert.equal(parseSince('7d', now).toISOString(), '2026-03-01T00:00:00.000Z');
    assert.equal(parseSince('90m', now).toISOString(), '2026-03-07T22:30:00.000Z');
    assert.equal(parseSince('2026-03-01', now).toISOString(), '2026-03-01T00:00:00.000Z');
    assert.equal(parseSince('2026-03-01T14:00:00+01:00', now).toISOString(), '2026-03-01T13:00:00.000Z');
    for (const bad of ['', 'yesterday', '7', '2026-3-1', '1e3d'])
      assert.throws(() => parseSince(bad, now), /is neither a date/, bad);
  });

  it(
    'parseSince: dates that do not exist, the future and the distant ' +
      'past are refused with a message, never "Invalid time value"',
    () => {
      const now = Date.parse('2026-03-08T00:00:00Z');
      for (const bad of ['2026-13-01', '2026-02-30', '2026-02-29', '2026-03-01T25:00:00Z'])
        assert.throws(() => parseSince(bad, now), /is not a real date or time/, bad);
      assert.equal(parseSince('2024-02-29', now).toISOString(), '2024-02-29T00:00:00.000Z', 'a leap day that exists');
      for (const bad of ['2026-03-09', '9999-12-31', '2026-03-08T00:00:01Z'])
        assert.throws(() => parseSince(bad, now), /is in the future/, bad);
      for (const bad of ['99999999d', '3661d'])
        assert.throws(() => parseSince(bad, now), /reaches back more than 3660 days/, bad);
      assert.throws(() => parseSince('0000-01-01', now), /more than 3660 days ago/);
      assert.throws(() => parseSince('0s', now), /positive duration/);
    },
  );

  it('exit codes: 0 passed, 2 failed or aborted, 3 skipped', () => {
    assert.deepEqual(DRILL_EXIT, { passed: 0, failed: 2, aborted: 2, skipped: 3 });
  });

  it('scorecardLines: outcome, each check ✓/✗ with its detail, times against targets, cleanup', () => {
    assert.deepEqual(scorecardLines(card()), [
      'Game day users-api-dev-drift (drift on users-api/dev): PASSED',
      '  ✓ drift detected: OutOfSync after 3s',
      '  ✗ time to heal within target: 75s (target 60s)',
      'Time to detect: 3s (target 30s)',
      'Time to restore: 75s (target 60s)',
      'Cleanup: verified: back to the pre-drill state',
    ]);
    const skipped = scorecardLines(
      card({
        drill: 'ci-access-audit',
        kind: 'access-audit',
        app: undefined,
        env: undefined,
        outcome: 'skipped',
        reason: 'skipped: incident in progress',
        checks: [],
        timeToDetectMs: undefined,
        timeToRestoreMs: undefined,
        cleanup: { done: false, verified: false, detail: '' },
        runs: ['rewind-drill-x/rollback'],
      }),
    );
    assert.deepEqual(skipped, [
      'Game day ci-access-audit (access-audit): SKIPPED',
      '  skipped: incident in progress',
      'Time to detect: n/a (target 30s)',
      'Time to restore: n/a (target 60s)',
      'Cleanup: NOT verified',
      'Runbook runs: rewind-drill-x/rollback',
    ]);
  });

  it('drillTableLines: aligned columns; unscheduled, not applied and paused drills spelled out', () => {
    const lines = drillTableLines([
      {
        name: 'users-api-dev-drift',
        kind: 'drift',
        target: 'users-api/dev',
        schedule: '0 11 * * 2 UTC',
        scheduled: true,
        paused: false,
        nextRun: '2026-03-03T11:00:00.000Z',
      },
      {
        name: 'users-api-dev-rebuild',
        kind: 'rebuild',
        target: 'users-api/dev',
        schedule: 'on demand',
        scheduled: false,
        paused: false,
      },
      {
        name: 'ci-access-audit',
        kind: 'access-audit',
        target: 'cluster',
        schedule: '0 9 * * 1 UTC',
        scheduled: false,
        paused: false,
      },
      { name: 'x', kind: 'drift', target: 'users-api/dev', schedule: '0 9 * * 1 UTC', scheduled: true, paused: true },
    ]);
    assert.match(lines[0]!, /^NAME\s+KIND\s+TARGET\s+SCHEDULE\s+PAUSED\s+NEXT RUN$/);
    assert.match(
      lines[1]!,
      /^users-api-dev-drift\s+drift\s+users-api\/dev\s+0 11 \* \* 2 UTC\s+no\s+2026-03-03T11:00:00\.000Z$/,
    );
    assert.match(lines[2]!, /^users-api-dev-rebuild\s+rebuild\s+users-api\/dev\s+on demand\s+-\s+-$/);
    assert.match(
      lines[3]!,
      /^ci-access-audit\s+access-audit\s+cluster\s+0 9 \* \* 1 UTC\s+-\s+not applied: rewind drills apply$/,
    );
    assert.match(lines[4]!, /\s+yes\s+- \(paused\)$/);
    assert.equal(new Set(lines.map((l) => /^\S+\s+/.exec(l)![0].length)).size, 1, 'columns line up');
    assert.deepEqual(drillTableLines([]), ['No drills in rewind.yaml (drills:).']);
  });

  it('applyLines: one line per change kind', () => {
    assert.deepEqual(applyLines({ created: ['a', 'b'], updated: [], deleted: ['c'], unchanged: [] }), [
      'created   a, b',
      'updated   -',
      'deleted   c',
      'unchanged -',
    ]);
    assert.match(applyLines({ created: [], updated: [], deleted: [], unchanged: [] })[0]!, /nothing to apply/);
  });
});

describe('drills list: next fire times', () => {
  it(
    'computes them from the cron and time zone before the ' + "Schedule exists, and reads Temporal's once it does",
    async () => {
      const cfg = parseConfig(
        CONFIG_YAML.replace(
          'schedule: { cron: "0 11 * * 2" }',
          'schedule: { cron: "0 11 * * 2", timezone: Europe/Berlin }',
        ),
      );
      const now = new Date('2026-03-20T12:00:00Z');
      const rows = await listDrills(fakeRewind(cfg), now);
      assert.deepEqual(rows[0], {
        name: 'users-api-dev-drift',
        kind: 'drift',
        target: 'users-api/dev',
        schedule: '0 11 * * 2 Europe/Berlin',
        scheduled: false,
        paused: false,
        nextRuns: ['2026-03-24T10:00:00.000Z', '2026-03-31T09:00:00.000Z', '2026-04-07T09:00:00.000Z'],
        nextRunsFrom: 'cron',
      });
      assert.deepEqual(rows[1], {
        name: 'ci-access-audit',
        kind: 'access-audit',
        target: 'cluster',
        schedule: 'on demand',
        scheduled: false,
        paused: false,
      });
      assert.match(
        drillTableLines(rows)[1]!,
        /not applied: rewind drills apply \(would run 2026-03-24 10:00Z, 2026-03-31 09:00Z, 2026-04-07 09:00Z\)$/,
      );

      const rw = fakeRewind(cfg);
      const times = [
        new Date('2026-03-24T10:00:00Z'),
        new Date('2026-03-31T09:00:00Z'),
        new Date('2026-04-07T09:00:00Z'),
        new Date('2026-04-14T09:00:00Z'),
      ];
      (rw.client as unknown as { schedule: { getHandle: () => unknown } }).schedule.getHandle = () => ({
        describe: async () => ({ state: { paused: false }, info: { nextActionTimes: times } }),
      });
      const applied = await listDrills(rw, now);
      assert.deepEqual(
        applied[0]!.nextRuns,
        times.slice(0, 3).map((t) => t.toISOString()),
      );
      assert.equal(applied[0]!.nextRunsFrom, 'schedule');
      assert.match(drillTableLines(applied)[1]!, /\s+no\s+2026-03-24 10:00Z, 2026-03-31 09:00Z, 2026-04-07 09:00Z$/);
    },
  );
});
