/**
 * `rewind timeline <run-id|app[/env]|incident-id>`: the post-incident timeline of a run or an
 * incident as Markdown, JSON or SVG, on stdout or into --out. Reads the run's queries when a
 * worker answers, else its Temporal history; adds Kubernetes Events and config-repo commits.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../../lib/config/duration.js';
import { shown } from '../../../lib/input-limits.js';
import { RefusedError } from '../../../lib/refused.js';
import type { RunSource, TimelineTarget } from '../../../lib/timeline/index.js';
import { TIMELINE_FORMATS, type TimelineFormat } from '../../../lib/timeline/formats.js';
import { withRewind, type CommandEnv } from '../action.js';
import { EXIT } from '../io.js';

interface TimelineCliOptions {
  format: string;
  out?: string;
  env?: string;
  runId?: string;
  incident?: string;
  source: string;
  detectedAt?: string;
  lookback: string;
  kube: boolean;
  git: boolean;
}

const SOURCES: readonly RunSource[] = ['auto', 'query', 'history'];

export function addTimeline(program: Command, env: CommandEnv): void {
  program
    .command('timeline')
    .description('post-incident timeline of a run or an incident (Markdown, JSON or SVG)')
    .argument('[target]', 'run id (rewind/<app>/<env>), app or app/env (its latest run), or incident id')
    .option('--format <format>', `output format: ${TIMELINE_FORMATS.join(', ')}`, 'md')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--env <env>', 'environment, with an app name')
    .option('--run-id <id>', 'a specific run of the workflow id (default: the latest)')
    .option('--incident <id>', 'every run tagged with this incident id')
    .option('--source <source>', 'auto (queries if a worker answers, else history), query, or history', 'auto')
    .option('--detected-at <time>', 'when the incident started (ISO 8601), if earlier than any signal')
    .option('--lookback <duration>', 'how far before the first run to include events and commits', '1h')
    .option('--no-kube', 'leave out Kubernetes Events')
    .option('--no-git', 'leave out config-repo commits')
    .action(async (what: string | undefined, o: TimelineCliOptions) => {
      const [{ MAX_DURATION_MS }, { exportTimeline, resolveTimelineTarget, timelineDocument }] = await Promise.all([
        import('../../../lib/config/schema.js'),
        import('../../../lib/timeline/index.js'),
      ]);
      let format: TimelineFormat, source: RunSource, lookbackMs: number, target: TimelineTarget;
      return withRewind(
        env,
        async ({ rw }) => {
          const doc = await timelineDocument({ rw }, target, {
            source,
            lookbackMs,
            kube: o.kube,
            git: o.git,
            ...(o.detectedAt ? { detectedAt: new Date(o.detectedAt).toISOString() } : {}),
          });
          const text = exportTimeline(doc, format);
          for (const s of doc.sources.filter((x) => !x.ok)) env.io.err(`rewind: warning: ${s.kind}: ${s.detail}`);
          if (o.out) {
            await writeFile(o.out, text);
            env.io.err(
              `Wrote the ${format} timeline of ${doc.title} to ${o.out}` +
                ` (${doc.events.length} events, ${doc.runs.length} run(s)).`,
            );
          } else {
            env.io.out(text.trimEnd());
          }
          return EXIT.ok;
        },
        (cfg) => {
          // All local: refused before connecting to Temporal.
          format = o.format as TimelineFormat;
          if (!TIMELINE_FORMATS.includes(format))
            throw new RefusedError(
              `--format ${shown(o.format, 40)}: use one of ${TIMELINE_FORMATS.join(', ')}`,
              'bad-input',
            );
          source = o.source as RunSource;
          if (!SOURCES.includes(source))
            throw new RefusedError(`--source ${shown(o.source, 40)}: use one of ${SOURCES.join(', ')}`, 'bad-input');
          const lookback = parseDuration(o.lookback);
          if (lookback === undefined || lookback <= 0 || lookback > MAX_DURATION_MS)
            throw new RefusedError(
              `--lookback ${shown(o.lookback, 40)} is not a duration such as 30m or 2h (at most 30d)`,
              'bad-input',
            );
          lookbackMs = lookback;
          if (o.detectedAt !== undefined && Number.isNaN(Date.parse(o.detectedAt)))
            throw new RefusedError(
              `--detected-at ${shown(o.detectedAt, 40)} is not a time; use ISO 8601 such as 2026-03-01T14:02:00Z`,
              'bad-input',
            );
          target = resolveTimelineTarget(cfg, what, {
            ...(o.env !== undefined ? { env: o.env } : {}),
            ...(o.runId !== undefined ? { runId: o.runId } : {}),
            ...(o.incident !== undefined ? { incident: o.incident } : {}),
          });
        },
      );
    });
}
