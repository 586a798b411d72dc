/**
 * `rewind drills` as child processes against the real world (Temporal dev server + worker,
 * kube-apiserver with the sandbox controller, the bare config repo, the Slack stand-in): Schedules
 * applied idempotently, listed, paused and resumed; drills run with their scorecard and exit code
 * (passed 0, aborted 2, skipped 3, refused 1); abort; the report.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApplyResult, DrillRow } from '../../../src/lib/drills/schedules.js';
import type { ReportRow } from '../../../src/lib/drills/report.js';
import { loadRunbook } from '../../../src/lib/runbooks/load.js';
import { person, targetSnapshot } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { scorecardQuery } from '../../../workflows/drills/messages.js';
import type { Scorecard } from '../../../workflows/drills/types.js';
import { argoApp } from '../../support/kube.js';
import { poll, runsOf } from '../slack/world-checks.js';
import { rewindCli, rewindCliWith } from './cli-process.js';

let world: World;
const rewind = (...args: string[]) => rewindCli(world, ...args);
const STAGING = 'rewind/users-api/staging';
const pathTree = async (p: string) =>
  (await import('simple-git')).simpleGit({ baseDir: world.repo.remote }).raw(['rev-parse', `main:${p}`]);

async function launchers(): Promise<number> {
  let n = 0;
  for await (const _ of world.rewind().client.workflow.list({ query: `WorkflowType = 'drillLauncherWorkflow'` })) n++;
  return n;
}

describe('rewind drills against the world', () => {
  before(async () => {
    world = await startWorld({
      temporal: 'dev',
      health: { window: '2s', timeout: '90s' },
      controller: { selfHealDelayMs: 1000 },
      tokenUsers: [{ token: 'ci-token', user: 'ci-bot', uid: 'ci-1', groups: ['ci'] }],
    });
    await world.startWorker();
    await poll(
      'users-api-staging Synced and Healthy',
      async () => {
        const app = await argoApp(world.kube.kc, 'users-api-staging');
        return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' ? app : undefined;
      },
      120_000,
    );
  });
  after(async () => {
    await world?.stop();
  });

  it('apply --json twice: creates the Schedules of the three scheduled drills, then changes nothing', async () => {
    const first = await rewind('drills', 'apply', '--json');
    assert.equal(first.code, 0, first.stderr);
    const created = JSON.parse(first.stdout) as ApplyResult;
    assert.deepEqual([...created.created].sort(), [
      'ci-access-audit',
      'users-api-dev-drift',
      'users-api-staging-rollback',
    ]);
    assert.deepEqual([created.updated, created.deleted, created.unchanged], [[], [], []]);
    const second = await rewind('drills', 'apply', '--json');
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { created: [], updated: [], deleted: [], unchanged: created.created });
    const human = await rewind('drills', 'apply');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^created {3}-$/m);
    assert.match(human.stdout, /^unchanged users-api-staging-rollback, users-api-dev-drift, ci-access-audit$/m);
  });

  it(
    'list --json: every drill with kind, target and schedule; ' +
      'applied ones have a next run; the table says the same',
    async () => {
      const r = await rewind('drills', 'list', '--json');
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as DrillRow[];
      assert.deepEqual(
        rows.map((x) => x.name),
        [
          'users-api-staging-rollback',
          'users-api-dev-drift',
          'users-api-dev-rebuild',
          'users-api-dev-emergency',
          'ci-access-audit',
        ],
      );
      const drift = rows.find((x) => x.name === 'users-api-dev-drift')!;
      assert.deepEqual(
        { ...drift, nextRun: undefined, nextRuns: undefined },
        {
          name: 'users-api-dev-drift',
          kind: 'drift',
          target: 'users-api/dev',
          schedule: '0 11 * * 2 UTC',
          scheduled: true,
          paused: false,
          nextRun: undefined,
          nextRuns: undefined,
          nextRunsFrom: 'schedule',
        },
      );
      assert.ok(drift.nextRun && Date.parse(drift.nextRun) > Date.now(), 'a next run in the future');
      assert.equal(drift.nextRuns?.[0], drift.nextRun, "the next runs are the Schedule's own");
      assert.deepEqual(
        rows.find((x) => x.name === 'users-api-dev-rebuild'),
        {
          name: 'users-api-dev-rebuild',
          kind: 'rebuild',
          target: 'users-api/dev',
          schedule: 'on demand',
          scheduled: false,
          paused: false,
        },
      );
      assert.equal(rows.find((x) => x.name === 'ci-access-audit')!.target, 'cluster');
      const table = await rewind('drills', 'list');
      assert.match(table.stdout, /^NAME\s+KIND\s+TARGET\s+SCHEDULE\s+PAUSED\s+NEXT RUN$/m);
      assert.match(
        table.stdout,
        /^users-api-staging-rollback\s+rollback\s+users-api\/staging\s+0 10 \* \* 2 Europe\/Berlin\s+no\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z, /m,
      );
      assert.match(table.stdout, /^users-api-dev-rebuild\s+rebuild\s+users-api\/dev\s+on demand\s+-\s+-$/m);
    },
  );

  it('pause and resume a Schedule (as alice); refused for mallory and for a drill without a schedule', async () => {
    const paused = await rewind('drills', 'pause', 'users-api-dev-drift', '--as', 'alice');
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(
      paused.stdout,
      /^Paused the schedule of drill users-api-dev-drift \(rewind-drill-users-api-dev-drift\)/,
    );
    const schedule = await world.rewind().client.schedule.getHandle('rewind-drill-users-api-dev-drift').describe();
    assert.equal(schedule.state.paused, true);
    assert.equal(schedule.state.note, 'paused by alice');
    const listed = JSON.parse((await rewind('drills', 'list', '--json')).stdout) as DrillRow[];
    assert.equal(listed.find((x) => x.name === 'users-api-dev-drift')!.paused, true);

    const refused = await rewind('drills', 'resume', 'users-api-dev-drift', '--as', 'mallory');
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /mallory is neither an owner nor an approver of users-api and cannot resume its drill "users-api-dev-drift"/,
    );
    const noSchedule = await rewind('drills', 'pause', 'users-api-dev-rebuild', '--as', 'alice');
    assert.equal(noSchedule.code, 1);
    assert.match(noSchedule.stderr, /drill "users-api-dev-rebuild" runs on demand only/);

    const resumed = await rewind('drills', 'resume', 'users-api-dev-drift', '--as', 'carol');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^Resumed the schedule of drill users-api-dev-drift/);
    assert.equal(
      (await world.rewind().client.schedule.getHandle('rewind-drill-users-api-dev-drift').describe()).state.paused,
      false,
    );
  });

  it('run nope, and mallory on a drill of users-api, exit 1 and start nothing', async () => {
    const before = await launchers();
    const nope = await rewind('drills', 'run', 'nope', '--as', 'alice');
    assert.equal(nope.code, 1);
    assert.equal(nope.stdout, '');
    assert.match(
      nope.stderr,
      /no drill "nope" in rewind\.yaml; drills: users-api-staging-rollback, users-api-dev-drift/,
    );
    const mallory = await rewind('drills', 'run', 'users-api-dev-drift', '--as', 'mallory');
    assert.equal(mallory.code, 1);
    assert.match(
      mallory.stderr,
      /mallory is neither an owner nor an approver of users-api and cannot run its drill "users-api-dev-drift".*owners and approvers: alice, carol, bob/,
    );
    // Without --as the cluster says who runs the CLI: the shared admin kubeconfig is nobody in rewind.yaml.
    const nobody = await rewindCliWith(
      world,
      { KUBECONFIG: world.kube.kubeconfigPath },
      'drills',
      'run',
      'ci-access-audit',
    );
    assert.equal(nobody.code, 1, 'the admin kubeconfig is not a person in rewind.yaml');
    assert.match(
      nobody.stderr,
      /cluster sandbox knows you as Kubernetes user "[^"]+", but no person in rewind\.yaml has it under kube:.*name yourself with --as <handle>\./,
    );
    assert.equal(await launchers(), before);
    assert.equal(await runsOf(world, 'rewind/users-api/dev'), 0);
  });

  it(
    'run ci-access-audit --json: exit 0, the scorecard with outcome ' +
      'passed, posted to C_GAMEDAY; the text form shows each check',
    async () => {
      const r = await rewind('drills', 'run', 'ci-access-audit', '--json', '--as', 'alice');
      assert.equal(r.code, 0, r.stderr);
      const card = JSON.parse(r.stdout) as Scorecard;
      assert.equal(card.outcome, 'passed', JSON.stringify(card.checks));
      assert.deepEqual(
        [card.drill, card.kind, card.trigger, card.workflowId, card.cleanup.verified],
        ['ci-access-audit', 'access-audit', 'manual', 'rewind/drill-audit/ci-access-audit', true],
      );
      assert.match(
        r.stderr,
        /^Started drill ci-access-audit \(access-audit on cluster\) for alice: launcher rewind-drill-ci-access-audit-manual-\d+, drill run rewind\/drill-audit\/ci-access-audit\.$/m,
      );
      const posted = await world.slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === 'C_GAMEDAY' && /ci-access-audit/.test(String(c.args.text)),
        30_000,
      );
      assert.match(String(posted.args.text), /PASSED/);

      // The access audit is a cluster drill: any person in rewind.yaml may run it.
      const text = await rewind('drills', 'run', 'ci-access-audit', '--as', 'mallory');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Game day ci-access-audit \(access-audit\): PASSED$/m);
      assert.match(
        text.stdout,
        /^ {2}✓ CI identities hold no write rights in the cluster: \d+ checks denied for ci-bot$/m,
      );
      assert.match(text.stdout, /^Time to detect: n\/a \(target 120s\)$/m);
      assert.match(text.stdout, /^Cleanup: verified/m);
    },
  );

  it('run --no-wait returns the launcher id at once; the drill goes on to its scorecard', async () => {
    const r = await rewind('drills', 'run', 'ci-access-audit', '--no-wait', '--json', '--as', 'bob');
    assert.equal(r.code, 0, r.stderr);
    const { workflowId, drillWorkflowId } = JSON.parse(r.stdout) as { workflowId: string; drillWorkflowId: string };
    assert.match(workflowId, /^rewind-drill-ci-access-audit-manual-\d+$/);
    assert.equal(drillWorkflowId, 'rewind/drill-audit/ci-access-audit');
    const card = (await world.rewind().client.workflow.getHandle(workflowId).result()) as Scorecard;
    assert.equal(card.outcome, 'passed');
  });

  it('a drill while a real run holds the target: skipped, exit 3; abort refuses to touch the run', async () => {
    const rw = world.rewind();
    const target = { ...targetSnapshot(rw.cfg, 'users-api', 'staging') };
    target.approval = { ...target.approval, required: true };
    const holder = await rw.client.workflow.start('runbookWorkflow', {
      taskQueue: rw.taskQueue,
      workflowId: STAGING,
      args: [
        {
          runbook: await loadRunbook('rollback'),
          target,
          request: { requester: person(rw.cfg, 'alice'), reason: 'real incident', source: 'cli' },
        },
      ],
    });
    try {
      await poll(
        'the run to wait for approval',
        async () => (await holder.query<{ phase: string }>('status')).phase === 'awaiting-approval' || undefined,
      );
      const head = await world.repo.head();
      const r = await rewind('drills', 'run', 'users-api-staging-rollback', '--as', 'alice', '--json');
      assert.equal(r.code, 3, r.stderr);
      const card = JSON.parse(r.stdout) as Scorecard;
      assert.equal(card.outcome, 'skipped');
      assert.match(
        card.reason ?? '',
        /skipped: incident in progress \(rewind\/users-api\/staging is held by another run\)/,
      );
      assert.equal(await world.repo.head(), head, 'a skipped drill touches nothing');

      const abort = await rewind('drills', 'abort', 'users-api-staging-rollback', '--as', 'bob');
      assert.equal(abort.code, 1);
      assert.match(
        abort.stderr,
        /drill "users-api-staging-rollback" is not running: users-api\/staging is held by a runbook run \(rewind\/users-api\/staging\), which is not a drill/,
      );
      assert.equal(
        (await holder.query<{ phase: string }>('status')).phase,
        'awaiting-approval',
        'the run was not signalled',
      );
    } finally {
      await holder.terminate('test cleanup').catch(() => undefined);
    }
  });

  it(
    'abort: refused when the drill is not running; a running rollback ' +
      'drill aborted by bob cleans up, and run exits 2 with outcome aborted',
    async () => {
      const idle = await rewind('drills', 'abort', 'users-api-staging-rollback', '--as', 'bob');
      assert.equal(idle.code, 1);
      assert.match(idle.stderr, /drill "users-api-staging-rollback" is not running; nothing to abort/);

      const before = await pathTree('apps/users-api/overlays/staging');
      const running = rewind('drills', 'run', 'users-api-staging-rollback', '--as', 'alice', '--json');
      const drill = world.rewind().client.workflow.getHandle(STAGING);
      await poll(
        'the bad promotion to be pushed',
        async () => {
          const d = await drill.describe();
          if (d.type !== 'drillWorkflow' || d.status.name !== 'RUNNING') return undefined;
          return (await drill.query(scorecardQuery)).checks.some((c) => c.name === 'bad promotion pushed') || undefined;
        },
        120_000,
      );
      const mallory = await rewind('drills', 'abort', 'users-api-staging-rollback', '--as', 'mallory');
      assert.equal(mallory.code, 1);
      assert.match(mallory.stderr, /mallory is neither an owner nor an approver of users-api and cannot abort/);
      const abort = await rewind('drills', 'abort', 'users-api-staging-rollback', '--as', 'bob');
      assert.equal(abort.code, 0, abort.stderr);
      assert.match(
        abort.stdout,
        /^Abort requested for drill users-api-staging-rollback \(rewind\/users-api\/staging\) by bob\./,
      );

      const r = await running;
      assert.equal(r.code, 2, r.stderr);
      const card = JSON.parse(r.stdout) as Scorecard;
      assert.equal(card.outcome, 'aborted');
      assert.equal(card.reason, 'aborted by bob');
      assert.equal(card.cleanup.verified, true, card.cleanup.detail);
      assert.match(
        r.stderr,
        /^Drill running as rewind\/users-api\/staging; abort it with: rewind drills abort users-api-staging-rollback$/m,
      );
      assert.match(r.stderr, /^ {2}✓ bad promotion pushed$/m, 'checks are reported as they land');
      assert.equal(
        await pathTree('apps/users-api/overlays/staging'),
        before,
        'the environment path has the same content as before',
      );
    },
  );

  it('report: Markdown with the runs; JSON into --out; --since filters', async () => {
    const md = await rewind('drills', 'report', '--format', 'md');
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# Game-day drills$/m);
    assert.match(
      md.stdout,
      /^\| \d{4}-\d{2}-\d{2} [\d:]{8} \| ci-access-audit \| access-audit \| cluster \| passed \|/m,
    );
    assert.match(md.stdout, /^\| [^|]+ \| users-api-staging-rollback \| rollback \| users-api\/staging \| aborted \|/m);
    assert.match(
      md.stdout,
      /^\| [^|]+ \| users-api-staging-rollback \| rollback \| users-api\/staging \| skipped \| [^|]+ \| [^|]+ \| skipped: incident in progress/m,
    );

    const out = path.join(world.dir, 'drills-report.json');
    const json = await rewind('drills', 'report', '--format', 'json', '--since', '1h', '--out', out);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, '');
    const rows = JSON.parse(await readFile(out, 'utf8')) as ReportRow[];
    assert.match(json.stderr, new RegExp(`^Wrote the json report of ${rows.length} drill run\\(s\\) to `));
    assert.equal(rows.filter((x) => x.drill === 'ci-access-audit' && x.outcome === 'passed').length, 3);
    assert.ok(rows.every((x) => x.schema === 'rewind.scorecard/v1'));

    // A date in the future is a typo, not an empty report.
    const future = await rewind('drills', 'report', '--since', '2999-01-01');
    assert.equal(future.code, 1);
    assert.match(
      future.stderr,
      /"2999-01-01" is in the future; give a date in the past, or a duration back from now such as 7d/,
    );
  });
});
