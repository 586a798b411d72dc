/**
 * `/gameday`: ack → parse → identify → authorize → src/lib/drills → answer ephemerally. The
 * scorecard is posted to the drill's channel by the drill itself, so a drill run from the CLI or
 * by its Schedule reads the same in Slack. `run` answers "Drill started" with an Abort button.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { abortDrill, authorizeDrill, drillRunId, drillTargetText, secs } from '../../../../lib/drills/operations.js';
import { own } from '../../../../lib/config/own-keys.js';
import { parseSince } from '../../../../lib/config/since.js';
import type { DrillConfig, RewindConfig } from '../../../../lib/config/schema.js';
import { drillScorecards, type ReportRow } from '../../../../lib/drills/report.js';
import {
  listDrills,
  pauseDrill,
  resumeDrill,
  runDrillNow,
  shortTime,
  type DrillRow,
} from '../../../../lib/drills/schedules.js';
import { RefusedError } from '../../../../lib/runs.js';
import { GAMEDAY_USAGE, parseGameday, type GamedayCommand } from '../../parse-gameday.js';
import { ABORT_DRILL_ACTION, abortedText } from '../actions/abort-drill.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;
type Act = Extract<GamedayCommand, { drill: string }>;

/** Newest scorecards shown in Slack; `rewind drills report` has them all. */
const REPORT_ROWS = 20;

export function gamedayCommand(deps: ListenerDeps) {
  const { cfg } = deps.rewind;
  const names = cfg.drills.map((d) => d.name);

  return async function gameday(args: Args): Promise<void> {
    const { ack, command, respond } = args;
    const parsed = parseGameday(command.text ?? '', names);
    if (!parsed.ok) {
      await ack(ephemeral(`:no_entry: ${parsed.error}`));
      return;
    }
    const req = parsed.value;
    switch (req.kind) {
      case 'help':
        await ack(ephemeral(GAMEDAY_USAGE));
        return;
      case 'list':
        await ack();
        try {
          await safeRespond(deps, respond, ephemeral(formatDrillList(await listDrills(deps.rewind))));
        } catch (err) {
          await replyWithError(deps, respond, err, 'listing drills');
        }
        return;
      case 'report':
        await ack();
        try {
          const rows = await drillScorecards(deps.rewind, req.since ? parseSince(req.since) : undefined);
          await safeRespond(deps, respond, ephemeral(formatReport(rows, req.since)));
        } catch (err) {
          await replyWithError(deps, respond, err, 'reading drill scorecards');
        }
        return;
      default:
        await act(deps, req, args);
    }
  };
}

async function act(deps: ListenerDeps, req: Act, { ack, command, respond }: Args): Promise<void> {
  const rw = deps.rewind;
  const who = slackIdentity(rw.cfg, command.user_id);
  if (!who.ok) {
    await ack(ephemeral(`:no_entry: ${who.error}`));
    return;
  }
  // Who may act is local and instant: a refusal is the ack itself, and nothing reaches Temporal.
  let drill: DrillConfig;
  try {
    drill = authorizeDrill(rw.cfg, req.drill, who.person, req.kind);
  } catch (err) {
    await ack(
      ephemeral(`:no_entry: ${err instanceof RefusedError ? err.message : `drill "${req.drill}" cannot be resolved`}`),
    );
    return;
  }
  const where = `*${drill.name}* (${drill.kind} on ${drillTargetText(drill)})`;
  await ack(
    ephemeral(
      `:hourglass_flowing_sand: ` +
        `${
          req.kind === 'run'
            ? 'Starting'
            : req.kind === 'abort'
              ? 'Aborting'
              : req.kind === 'pause'
                ? 'Pausing the schedule of'
                : 'Resuming the schedule of'
        }` +
        ` drill ${where} for ${who.person.handle}…`,
    ),
  );
  try {
    switch (req.kind) {
      case 'run': {
        const started = await runDrillNow(rw, drill.name, who.person.handle);
        await safeRespond(deps, respond, startedMessage(rw.cfg, drill, started.workflowId, who.person.handle));
        return;
      }
      case 'pause':
        await pauseDrill(rw, drill.name, who.person.handle);
        await safeRespond(
          deps,
          respond,
          ephemeral(
            `:double_vertical_bar: Paused the schedule of ` +
              `drill ${where}. \`/gameday resume ${drill.name}\` resumes it.`,
          ),
        );
        return;
      case 'resume':
        await resumeDrill(rw, drill.name, who.person.handle);
        await safeRespond(
          deps,
          respond,
          ephemeral(`:arrow_forward: Resumed the schedule of drill ${where}; \`/gameday list\` shows its next run.`),
        );
        return;
      case 'abort': {
        const { workflowId } = await abortDrill(rw, drill.name, who.person);
        await safeRespond(deps, respond, ephemeral(abortedText(drill.name, workflowId)));
        return;
      }
    }
  } catch (err) {
    await replyWithError(
      deps,
      respond,
      err,
      `${
        req.kind === 'run'
          ? 'starting'
          : req.kind === 'abort'
            ? 'aborting'
            : `${req.kind === 'pause' ? 'pausing' : 'resuming'} the schedule of`
      } the drill`,
    );
  }
}

/** Where the drill posts its scorecard: the drill's channel, else its app's (workflows/drills/drill.ts). */
function scorecardChannel(cfg: RewindConfig, drill: DrillConfig): string | undefined {
  if (drill.channel) return drill.channel;
  return drill.app ? (own(cfg.apps, drill.app)?.channel ?? cfg.slack.defaultChannel) : undefined;
}

function startedMessage(cfg: RewindConfig, drill: DrillConfig, launcherId: string, by: string) {
  const channel = scorecardChannel(cfg, drill);
  const text =
    `:test_tube: Drill started: *${drill.name}* ` +
    `(${drill.kind} on ${drillTargetText(drill)}) for ${by}, as \`${launcherId}\`. ` +
    `It runs under \`${drillRunId(drill)}\`${drill.app ? ', and is skipped if an incident holds it' : ''}. ` +
    `The scorecard will be posted to ` +
    `${
      channel ? `<#${channel}>` : 'no Slack channel (none configured for this drill); read it with `/gameday report`'
    }.`;
  return {
    ...ephemeral(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'drill',
        elements: [
          {
            type: 'button',
            action_id: ABORT_DRILL_ACTION,
            value: drill.name,
            style: 'danger',
            text: { type: 'plain_text', text: 'Abort' },
            confirm: {
              title: { type: 'plain_text', text: 'Abort the drill?' },
              text: {
                type: 'mrkdwn',
                text:
                  `Stop drill *${drill.name}* now. Its cleanup still runs ` +
                  `and the target is verified; the scorecard says aborted.`,
              },
              confirm: { type: 'plain_text', text: 'Abort' },
              deny: { type: 'plain_text', text: 'Keep running' },
              style: 'danger',
            },
          },
        ],
      },
    ],
  };
}

export function formatDrillList(rows: DrillRow[]): string {
  if (rows.length === 0) return 'No drills in rewind.yaml (drills:).';
  return rows
    .map((r) => {
      const times = r.nextRuns?.map(shortTime).join(', ');
      const when =
        r.schedule === 'on demand'
          ? 'on demand'
          : !r.scheduled
            ? `\`${r.schedule}\`, schedule not applied (\`rewind ` +
              `drills apply\`)${times ? `; it would run ${times}` : ''}`
            : `\`${r.schedule}\`${r.paused ? ', *paused*' : ''}` +
              `${!r.paused && (times ?? r.nextRun) ? `, next runs ${times ?? r.nextRun}` : ''}`;
      return `• *${r.name}* (${r.kind} on ${r.target}): ${when}`;
    })
    .join('\n');
}

const ICON: Record<string, string> = {
  passed: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  aborted: ':octagonal_sign:',
};

export function formatReport(rows: ReportRow[], since?: string): string {
  if (rows.length === 0) return `No drill scorecards${since ? ` since ${since}` : ''}.`;
  const shown = rows.slice(-REPORT_ROWS).reverse();
  const lines = shown.map((r) => {
    const outcome = r.outcome ?? 'running';
    const failed = r.checks.filter((c) => !c.passed).map((c) => c.name);
    return (
      `• ${r.startedAt.replace('T', ' ').slice(0, 16)} *${r.drill}* ` +
      `(${r.kind} on ${r.app ? `${r.app}/${r.env}` : 'cluster'}): ${ICON[outcome] ?? ''} ${outcome}` +
      ` · detect ${secs(r.timeToDetectMs)} / ${secs(r.targets.timeToDetectMs)} · ` +
      `restore ${secs(r.timeToRestoreMs)} / ${secs(r.targets.timeToRestoreMs)}` +
      ` · cleanup ${r.cleanup.verified ? 'verified' : '*NOT verified*'}` +
      `${failed.length ? ` · failed: ${failed.join('; ')}` : r.reason ? ` · ${r.reason}` : ''}`
    );
  });
  const older = rows.length - shown.length;
  return [
    `Game-day scorecards${since ? ` since ${since}` : ''}, newest first (measured / target):`,
    ...lines,
    ...(older > 0 ? [`…and ${older} older: \`rewind drills report\` has them all.`] : []),
  ].join('\n');
}
