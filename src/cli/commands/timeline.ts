/**
 * `rewind timeline <run-id|app[/env]|incident-id>`: the post-incident timeline of a run or an
 * incident as Markdown, JSON or SVG, on stdout or into --out. Reads the run's queries when a
 * worker answers, else its Temporal history; adds Kubernetes Events and config-repo commits.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../config/duration.js';
import { RefusedError } from '../../runs.js';
import { exportTimeline, resolveTimelineTarget, timelineDocument, TIMELINE_FORMATS, type RunSource, type TimelineFormat } from '../../timeline/index.js';
import { withRewind, type CommandEnv } from '../action.js';
import { EXIT } from '../io.js';

interface TimelineCliOptions {
  format: string; out?: string; env?: string; runId?: string; incident?: string; source: string;
  detectedAt?: string; lookback: string; kube: boolean; git: boolean;
}

const SOURCES: readonly RunSource[] = ['auto', 'query', 'history'];

export function addTimeline(program: Command, env: CommandEnv): void {
  program.command('timeline')
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
    .action((what: string | undefined, o: TimelineCliOptions) => withRewind(env, async ({ rw, cfg }) => {
      const format = o.format as TimelineFormat;
      if (!TIMELINE_FORMATS.includes(format)) throw new RefusedError(`--format ${o.format}: use one of ${TIMELINE_FORMATS.join(', ')}`, 'bad-input');
      const source = o.source as RunSource;
      if (!SOURCES.includes(source)) throw new RefusedError(`--source ${o.source}: use one of ${SOURCES.join(', ')}`, 'bad-input');
      const lookbackMs = parseDuration(o.lookback);
      if (lookbackMs === undefined) throw new RefusedError(`--lookback ${o.lookback} is not a duration such as 30m or 2h`, 'bad-input');
      if (o.detectedAt !== undefined && Number.isNaN(Date.parse(o.detectedAt))) throw new RefusedError(`--detected-at ${o.detectedAt} is not a time; use ISO 8601 such as 2026-03-01T14:02:00Z`, 'bad-input');
      const target = resolveTimelineTarget(cfg, what, { ...(o.env ? { env: o.env } : {}), ...(o.runId ? { runId: o.runId } : {}), ...(o.incident ? { incident: o.incident } : {}) });
      const doc = await timelineDocument({ rw }, target, {
        source, lookbackMs, kube: o.kube, git: o.git, ...(o.detectedAt ? { detectedAt: new Date(o.detectedAt).toISOString() } : {}),
      });
      const text = exportTimeline(doc, format);
      for (const s of doc.sources.filter((x) => !x.ok)) env.io.err(`rewind: warning: ${s.kind}: ${s.detail}`);
      if (o.out) {
        await writeFile(o.out, text);
        env.io.err(`Wrote the ${format} timeline of ${doc.title} to ${o.out} (${doc.events.length} events, ${doc.runs.length} run(s)).`);
      } else {
        env.io.out(text.trimEnd());
      }
      return EXIT.ok;
    }));
}
