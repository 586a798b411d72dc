/**
 * Temporal Schedules made to match the drills in rewind.yaml. `applyDrillSchedules` creates,
 * updates and deletes `rewind-drill-<name>` schedules and is idempotent: a schedule whose
 * stored spec hash equals the config's is left alone. Overlap policy SKIP: a drill still
 * running when the next is due is not doubled.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { nextFireTimes, parseCron } from '../config/cron.js';
import { RefusedError, type Rewind } from '../runs.js';
import { RewindApp, RewindEnv, RewindRunbook } from '../temporal/search-attributes.js';
import type { DrillInput, Scorecard } from '../../../workflows/drills/types.js';
import { drillConfig, drillInput } from './input.js';
import { SCHEDULE_PREFIX } from './names.js';

export { SCHEDULE_PREFIX, shortTime } from './names.js';
const scheduleId = (name: string) => `${SCHEDULE_PREFIX}${name}`;

function searchAttributes(input: DrillInput) {
  return [
    { key: RewindRunbook, value: `drill:${input.drill.kind}` },
    ...(input.target
      ? [
          { key: RewindApp, value: input.target.app },
          { key: RewindEnv, value: input.target.env },
        ]
      : []),
  ];
}

function specHash(cron: string, timezone: string, input: DrillInput, taskQueue: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ cron, timezone, input: { ...input, trigger: 'schedule' }, taskQueue }))
    .digest('hex')
    .slice(0, 16);
}

async function listedScheduleIds(client: Client): Promise<string[]> {
  const out: string[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(SCHEDULE_PREFIX)) out.push(s.scheduleId);
  }
  return out;
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

export async function applyDrillSchedules(rw: Rewind): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], deleted: [], unchanged: [] };
  // The list (visibility) lags behind writes: it only finds schedules to delete; the ones the config
  // wants are described one by one, which is read-after-write consistent.
  const listed = await listedScheduleIds(rw.client);
  const existing = new Map<string, string | undefined>();
  const wanted = new Set<string>();
  for (const drill of rw.cfg.drills.filter((d) => d.schedule)) {
    const id = scheduleId(drill.name);
    wanted.add(id);
    try {
      const action = (await rw.client.schedule.getHandle(id).describe()).action as { memo?: Record<string, unknown> };
      existing.set(id, action.memo?.specHash as string | undefined);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    const input = await drillInput(rw.cfg, drill, 'schedule', undefined, rw.runbookDir);
    const hash = specHash(drill.schedule!.cron, drill.schedule!.timezone, input, rw.taskQueue);
    const options = {
      spec: { cronExpressions: [drill.schedule!.cron], timezone: drill.schedule!.timezone },
      // The spec hash rides in the action's memo: unlike the schedule's own memo, an update can change it.
      action: {
        type: 'startWorkflow' as const,
        workflowType: 'drillLauncherWorkflow',
        taskQueue: rw.taskQueue,
        args: [input],
        typedSearchAttributes: searchAttributes(input),
        memo: { drill: drill.name, specHash: hash },
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10m' as const },
    };
    if (!existing.has(id)) {
      await rw.client.schedule.create({ scheduleId: id, ...options, memo: { drill: drill.name } });
      result.created.push(drill.name);
    } else if (existing.get(id) !== hash) {
      // An update in place keeps the schedule's state: paused or not, and the note saying who paused it.
      await rw.client.schedule.getHandle(id).update((prev) => ({
        ...prev,
        spec: options.spec,
        action: options.action,
        policies: { ...prev.policies, ...options.policies },
      }));
      result.updated.push(drill.name);
    } else {
      result.unchanged.push(drill.name);
    }
  }
  // Visibility catches up within moments: wait (bounded) until the list shows every schedule that
  // existed before this call, so one it does not show yet is not left behind undeleted.
  let stale = listed;
  for (let i = 0; i < 10 && [...existing.keys()].some((id) => !stale.includes(id)); i++) {
    await new Promise((r) => setTimeout(r, 300));
    stale = await listedScheduleIds(rw.client);
  }
  for (const id of stale) {
    if (wanted.has(id)) continue;
    await rw.client.schedule.getHandle(id).delete();
    result.deleted.push(id.slice(SCHEDULE_PREFIX.length));
  }
  return result;
}

export interface DrillRow {
  name: string;
  kind: string;
  target: string;
  schedule: string;
  scheduled: boolean;
  paused: boolean;
  /** The next fire time Temporal's Schedule reports. */
  nextRun?: string;
  /**
   * The next fire times (up to NEXT_RUNS): Temporal's when the Schedule exists, else computed from
   * the cron and time zone.
   */
  nextRuns?: string[];
  nextRunsFrom?: 'schedule' | 'cron';
}

/** How many fire times `drills list` shows. */
export const NEXT_RUNS = 3;

export async function listDrills(rw: Rewind, now = new Date()): Promise<DrillRow[]> {
  const rows: DrillRow[] = [];
  for (const d of rw.cfg.drills) {
    let paused = false,
      scheduled = false,
      nextRun: string | undefined,
      nextRuns: string[] = [];
    try {
      const desc = await rw.client.schedule.getHandle(scheduleId(d.name)).describe();
      scheduled = true;
      paused = desc.state.paused;
      nextRun = desc.info.nextActionTimes[0]?.toISOString();
      nextRuns = desc.info.nextActionTimes.slice(0, NEXT_RUNS).map((t) => t.toISOString());
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    // Not applied yet: say when it would fire, read from rewind.yaml (validated at load).
    const cron = !scheduled && d.schedule ? parseCron(d.schedule.cron) : undefined;
    const from = scheduled ? ('schedule' as const) : ('cron' as const);
    if (cron?.ok) nextRuns = nextFireTimes(cron.spec, d.schedule!.timezone, now, NEXT_RUNS).map((t) => t.toISOString());
    rows.push({
      name: d.name,
      kind: d.kind,
      target: d.app ? `${d.app}/${d.env}` : 'cluster',
      schedule: d.schedule ? `${d.schedule.cron} ${d.schedule.timezone}` : 'on demand',
      scheduled,
      paused,
      ...(nextRun ? { nextRun } : {}),
      ...(nextRuns.length ? { nextRuns, nextRunsFrom: from } : {}),
    });
  }
  return rows;
}

async function scheduleHandle(rw: Rewind, name: string) {
  drillConfig(rw.cfg, name);
  const handle = rw.client.schedule.getHandle(scheduleId(name));
  try {
    await handle.describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      const onDemand = !rw.cfg.drills.find((d) => d.name === name)?.schedule;
      throw new RefusedError(
        onDemand
          ? `drill "${name}" runs on demand only (no schedule: in rewind.yaml); run it with ` +
              `\`rewind drills run ${name}\`, or give it a schedule and run \`rewind drills apply\``
          : `drill "${name}" has no Schedule yet; run \`rewind drills apply\` first (or \`rewind drills run ${name}\`)`,
        'not-found',
      );
    }
    throw err;
  }
  return handle;
}

export async function pauseDrill(rw: Rewind, name: string, by: string): Promise<void> {
  await (await scheduleHandle(rw, name)).pause(`paused by ${by}`);
}

export async function resumeDrill(rw: Rewind, name: string, by: string): Promise<void> {
  await (await scheduleHandle(rw, name)).unpause(`resumed by ${by}`);
}

/** Runs a drill now through the same launcher a schedule uses (so it takes the app/env lock the same way). */
export async function runDrillNow(
  rw: Rewind,
  name: string,
  by: string,
): Promise<{ workflowId: string; result: () => Promise<Scorecard> }> {
  const drill = drillConfig(rw.cfg, name);
  const input = await drillInput(rw.cfg, drill, 'manual', by, rw.runbookDir);
  const workflowId = `${scheduleId(name)}-manual-${Date.now()}`;
  const handle = await rw.client.workflow.start('drillLauncherWorkflow', {
    taskQueue: rw.taskQueue,
    workflowId,
    args: [input],
    typedSearchAttributes: searchAttributes(input),
    memo: { drill: name },
  });
  return { workflowId, result: () => handle.result() as Promise<Scorecard> };
}
