/**
 * `rewind drills apply|list|run|pause|resume|abort|report`: game-day drills from the terminal,
 * through src/lib/drills (Schedules, runs, scorecards) and src/lib/drills/operations.ts (who may act, abort).
 * `run` follows the drill, prints its scorecard and exits 0 passed, 2 failed or aborted,
 * 3 skipped (an incident held the target), 1 refused.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { own } from '../../../lib/config/own-keys.js';
import { parseSince } from '../../../lib/config/since.js';
import type { DrillConfig, RewindConfig } from '../../../lib/config/schema.js';
import { SCHEDULE_PREFIX, shortTime } from '../../../lib/drills/names.js';
import type { ApplyResult, DrillRow } from '../../../lib/drills/schedules.js';
import { shown } from '../../../lib/input-limits.js';
import { RefusedError } from '../../../lib/refused.js';
import type { Rewind } from '../../../lib/runs.js';
import type { Scorecard } from '../../../../workflows/drills/types.js';
import type { PersonRef } from '../../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import { identityOptions } from '../identity-options.js';
import { EXIT } from '../io.js';

// What the drills run on (the Temporal client, Schedules, the Kubernetes client for identity) is
// loaded when a drill command runs, not when `rewind --help` lists them.
const schedules = () => import('../../../lib/drills/schedules.js');
const operations = () => import('../../../lib/drills/operations.js');

const REPORT_FORMATS = ['md', 'json'] as const;

export function addDrills(program: Command, env: CommandEnv): void {
  const drills = program
    .command('drills')
    .description('game-day drills: apply their Schedules, list, run, pause, resume, abort, report');

  drills
    .command('apply')
    .description(
      'make the Temporal Schedules (rewind-drill-<name>) match ' +
        'the drills in rewind.yaml; running it twice changes nothing',
    )
    .option('--json', 'print { created, updated, deleted, unchanged } as JSON')
    .action((o: { json?: boolean }) =>
      withRewind(env, async ({ rw }) => {
        const result = await (await schedules()).applyDrillSchedules(rw);
        if (o.json) env.io.out(JSON.stringify(result));
        else applyLines(result).forEach(env.io.out);
        return EXIT.ok;
      }),
    );

  drills
    .command('list')
    .description('the drills in rewind.yaml: kind, target, schedule, paused, next run')
    .option('--json', 'print the rows as a JSON array')
    .action((o: { json?: boolean }) =>
      withRewind(env, async ({ rw }) => {
        const rows = await (await schedules()).listDrills(rw);
        if (o.json) env.io.out(JSON.stringify(rows));
        else drillTableLines(rows).forEach(env.io.out);
        return EXIT.ok;
      }),
    );

  identityOptions(
    drills
      .command('run')
      .description(
        'run a drill now (as its Schedule would: skipped while an incident holds the target) and print its scorecard',
      )
      .argument('<name>', 'drill name from rewind.yaml'),
  )
    .option('--json', 'print only the scorecard as JSON on stdout')
    .option('--no-wait', 'print the launcher workflow id and return once the drill has started')
    .action((name: string, o: IdentityFlags & { json?: boolean; wait: boolean }) => runDrill(env, name, o));

  for (const [verb, act, done] of [
    [
      'pause',
      'pauseDrill',
      (d: DrillConfig) =>
        `Paused the schedule of drill ${d.name} (${SCHEDULE_PREFIX}${d.name}); ` +
        `resume it with: rewind drills resume ${d.name}`,
    ],
    [
      'resume',
      'resumeDrill',
      (d: DrillConfig) =>
        `Resumed the schedule of drill ${d.name} (${SCHEDULE_PREFIX}${d.name}); ` +
        `it runs at its next scheduled time (rewind drills list).`,
    ],
  ] as const) {
    identityOptions(
      drills
        .command(verb)
        .description(`${verb} the Schedule of a drill`)
        .argument('<name>', 'drill name from rewind.yaml'),
    ).action((name: string, o: IdentityFlags) => {
      let by: PersonRef, drill: DrillConfig;
      return withRewind(
        env,
        async ({ rw }) => {
          await (await schedules())[act](rw, name, by.handle);
          env.io.out(done(drill));
          return EXIT.ok;
        },
        async (cfg) => {
          ({ by, drill } = await drillActor(cfg, name, o, verb));
        },
      );
    });
  }

  identityOptions(
    drills
      .command('abort')
      .description('stop the running drill of that name; its cleanup still runs and the scorecard says aborted')
      .argument('<name>', 'drill name from rewind.yaml'),
  ).action((name: string, o: IdentityFlags) => {
    let by: PersonRef;
    return withRewind(
      env,
      async ({ rw }) => {
        const { workflowId } = await (await operations()).abortDrill(rw, name, by);
        env.io.out(
          `Abort requested for drill ${name} (${workflowId}) by ${by.handle}. Its ` +
            `cleanup runs, then the scorecard says aborted: rewind drills report --since 1h`,
        );
        return EXIT.ok;
      },
      async (cfg) => {
        ({ by } = await drillActor(cfg, name, o, 'abort'));
      },
    );
  });

  drills
    .command('report')
    .description('drill scorecards read back from Temporal, each compared with the previous run of the same drill')
    .option('--since <when>', 'only runs started since: an ISO date (2026-03-01) or a duration back from now (7d, 12h)')
    .option('--format <format>', `output format: ${REPORT_FORMATS.join(', ')}`, 'md')
    .option('--out <file>', 'write to this file instead of stdout')
    .action((o: { since?: string; format: string; out?: string }) => {
      let since: Date | undefined;
      return withRewind(
        env,
        async ({ rw }) => {
          const { drillScorecards, reportMarkdown } = await import('../../../lib/drills/report.js');
          const rows = await drillScorecards(rw, since);
          const text = o.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : reportMarkdown(rows);
          if (o.out) {
            await writeFile(o.out, text);
            env.io.err(`Wrote the ${o.format} report of ${rows.length} drill run(s) to ${o.out}.`);
          } else {
            env.io.out(text.trimEnd());
          }
          return EXIT.ok;
        },
        async () => {
          if (!(REPORT_FORMATS as readonly string[]).includes(o.format))
            throw new RefusedError(
              `--format ${shown(o.format, 40)}: use one of ${REPORT_FORMATS.join(', ')}`,
              'bad-input',
            );
          if (o.since !== undefined) since = parseSince(o.since);
        },
      );
    });

  // runCli sets exitOverride on top-level commands only; nested ones need their own.
  for (const c of drills.commands) c.exitOverride();
}

export function applyLines(r: ApplyResult): string[] {
  const total = r.created.length + r.updated.length + r.deleted.length + r.unchanged.length;
  if (total === 0) return ['No drill in rewind.yaml has a schedule, and no drill Schedule exists: nothing to apply.'];
  const line = (what: string, names: string[]) => `${what.padEnd(10)}${names.length ? names.join(', ') : '-'}`;
  return [
    line('created', r.created),
    line('updated', r.updated),
    line('deleted', r.deleted),
    line('unchanged', r.unchanged),
  ];
}

const HEADER = ['NAME', 'KIND', 'TARGET', 'SCHEDULE', 'PAUSED', 'NEXT RUN'];

/** One row per drill, columns padded to the widest cell. */
export function drillTableLines(rows: DrillRow[]): string[] {
  if (rows.length === 0) return ['No drills in rewind.yaml (drills:).'];
  const cells = rows.map((r) => {
    const onDemand = r.schedule === 'on demand';
    const times = r.nextRuns?.map(shortTime).join(', ');
    const next =
      r.scheduled && r.paused
        ? '- (paused)'
        : times
          ? r.nextRunsFrom === 'cron'
            ? `not applied: rewind drills apply (would run ${times})`
            : times
          : (r.nextRun ?? (onDemand ? '-' : !r.scheduled ? 'not applied: rewind drills apply' : '-'));
    return [r.name, r.kind, r.target, r.schedule, r.scheduled ? (r.paused ? 'yes' : 'no') : '-', next];
  });
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(HEADER), ...cells.map(line)];
}

interface IdentityFlags {
  as?: string;
  kubeContext?: string;
}

/** Who acts on drill `name` (proven by the cluster of its target, if it has one) and whether they may. */
async function drillActor(
  cfg: RewindConfig,
  name: string,
  o: IdentityFlags,
  verb: string,
): Promise<{ by: PersonRef; drill: DrillConfig }> {
  const [{ drillConfig }, { authorizeDrill }, { cliIdentity }] = await Promise.all([
    import('../../../lib/drills/input.js'),
    operations(),
    import('../identity.js'),
  ]);
  const target = drillConfig(cfg, name);
  const cluster =
    target.app && target.env ? own(own(cfg.apps, target.app)?.environments ?? {}, target.env)?.cluster : undefined;
  const who = await cliIdentity(cfg, {
    as: o.as,
    kubeContext: o.kubeContext,
    ...(cluster !== undefined ? { cluster } : {}),
  });
  return { by: who.person, drill: authorizeDrill(cfg, name, who.person, verb) };
}

async function runDrill(
  env: CommandEnv,
  name: string,
  o: IdentityFlags & { json?: boolean; wait: boolean },
): Promise<void> {
  const { io } = env;
  const [{ runDrillNow }, { DRILL_EXIT, drillRunId, drillTargetText, scorecardLines }] = await Promise.all([
    schedules(),
    operations(),
  ]);
  let by: PersonRef, drill: DrillConfig;
  await withRewind(
    env,
    async ({ rw }) => {
      const started = await runDrillNow(rw, name, by.handle);
      const say = o.json ? io.err : io.out;
      say(
        `Started drill ${name} (${drill.kind} on ${drillTargetText(drill)}) ` +
          `for ${by.handle}: launcher ${started.workflowId}, drill run ${drillRunId(drill)}.`,
      );
      if (!o.wait) {
        if (o.json) io.out(JSON.stringify({ workflowId: started.workflowId, drillWorkflowId: drillRunId(drill) }));
        else say(`Abort it with: rewind drills abort ${name}; its scorecard: rewind drills report --since 1h`);
        return EXIT.ok;
      }
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      try {
        const card = await followDrill(rw, started.workflowId, drill, say, stop.signal);
        if (o.json) io.out(JSON.stringify(card));
        else scorecardLines(card).forEach(io.out);
        return DRILL_EXIT[card.outcome ?? 'failed'];
      } catch (err) {
        if (stop.signal.aborted) {
          io.err(`Stopped watching. The drill goes on; stop it with: rewind drills abort ${name}`);
          return EXIT.interrupted;
        }
        // The launcher itself failed or was terminated: no scorecard to show.
        if ((err as Error).name === 'WorkflowFailedError') {
          const cause = (err as Error & { cause?: Error }).cause;
          io.err(
            `rewind: drill ${name} (${started.workflowId}) ended without ` +
              `a scorecard: ${cause?.message ?? (err as Error).message}`,
          );
          return DRILL_EXIT.failed;
        }
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
      }
    },
    async (cfg) => {
      ({ by, drill } = await drillActor(cfg, name, o, 'run'));
    },
  );
}

/**
 * Waits for the launcher's scorecard; meanwhile says when the drill itself starts (the child of
 * this launcher under the lock id, not whatever else holds it) and each check as it lands.
 */
async function followDrill(
  rw: Rewind,
  launcherId: string,
  drill: DrillConfig,
  print: (line: string) => void,
  signal: AbortSignal,
): Promise<Scorecard> {
  const [{ drillRunId }, { scorecardQuery }] = await Promise.all([
    operations(),
    import('../../../../workflows/drills/messages.js'),
  ]);
  const stopResult = new AbortController();
  const onAbort = () => stopResult.abort();
  signal.addEventListener('abort', onAbort);
  const result = rw.client.withAbortSignal(
    stopResult.signal,
    () => rw.client.workflow.getHandle(launcherId).result() as Promise<Scorecard>,
  );
  let finished = false;
  result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  const lock = rw.client.workflow.getHandle(drillRunId(drill));
  let announced = false,
    shown = 0;
  try {
    while (!finished) {
      signal.throwIfAborted();
      const desc = await lock.describe().catch(() => undefined);
      if (desc?.parentExecution?.workflowId === launcherId && desc.status.name === 'RUNNING') {
        if (!announced) {
          print(`Drill running as ${desc.workflowId}; abort it with: rewind drills abort ${drill.name}`);
          announced = true;
        }
        const card = await rw.client.workflow
          .getHandle(desc.workflowId, desc.runId)
          .query(scorecardQuery)
          .catch(() => undefined);
        for (const c of card?.checks.slice(shown) ?? []) print(`  ${c.passed ? '✓' : '✗'} ${c.name}`);
        shown = Math.max(shown, card?.checks.length ?? 0);
      }
      await Promise.race([sleep(1000, undefined, { signal }), result.catch(() => undefined)]);
    }
    return await result;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stopResult.abort();
  }
}
