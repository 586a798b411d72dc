/**
 * `rewind dora [app] [--env e] [--since 30d] [--failure-window 24h] [--format md|json|svg]`: the
 * DORA keys of each app/env from the config repo's history, the engine's deployment records and
 * rewind's runs (src/lib/dora), with the exact commits and runs behind every number.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../../lib/config/duration.js';
import { parseSince } from '../../../lib/config/since.js';
import { shown } from '../../../lib/input-limits.js';
import { DORA_FORMATS, type DoraFormat } from '../../../lib/dora/model.js';
import { RefusedError } from '../../../lib/refused.js';
import { withRewind, type CommandEnv } from '../action.js';
import { EXIT } from '../io.js';

interface DoraCliOptions {
  env?: string;
  since: string;
  failureWindow: string;
  format: string;
  out?: string;
}

const DAY_MS = 86_400_000;

export function addDora(program: Command, env: CommandEnv): void {
  program
    .command('dora')
    .description(
      'DORA keys per app/env from GitOps history: deployments, lead time, change failure rate, time to restore',
    )
    .argument('[app]', 'one app (default: every app in rewind.yaml)')
    .option('--env <env>', 'one environment')
    .option('--since <when>', 'the window: an ISO date (2026-03-01) or a duration back from now (30d, 12h)', '30d')
    .option(
      '--failure-window <duration>',
      'a rollback, emergency run or revert this soon after a deployment fails it',
      '24h',
    )
    .option('--format <format>', `output format: ${DORA_FORMATS.join(', ')}`, 'md')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (app: string | undefined, o: DoraCliOptions) => {
      let from = new Date(),
        failureWindowMs = 0;
      const dora = await import('../../../lib/dora/index.js');
      return withRewind(
        env,
        async ({ rw }) => {
          const reports = await dora.doraReports(
            { rw },
            { ...(app ? { app } : {}), ...(o.env !== undefined ? { env: o.env } : {}), from, failureWindowMs },
          );
          const text = dora.exportDora(reports, o.format as DoraFormat);
          if (o.out) {
            await writeFile(o.out, text);
            env.io.err(`Wrote the DORA keys of ${reports.length} app/env(s) to ${o.out}.`);
          } else env.io.out(text.trimEnd());
          return EXIT.ok;
        },
        (cfg) => {
          // All local: refused before connecting to Temporal.
          if (!DORA_FORMATS.includes(o.format as DoraFormat))
            throw new RefusedError(
              `--format ${shown(o.format, 40)}: use one of ${DORA_FORMATS.join(', ')}`,
              'bad-input',
            );
          from = parseSince(o.since);
          const w = parseDuration(o.failureWindow);
          if (w === undefined || w <= 0 || w > 30 * DAY_MS)
            throw new RefusedError(
              `--failure-window ${shown(o.failureWindow, 40)} is not a duration such as 24h or 7d (at most 30d)`,
              'bad-input',
            );
          failureWindowMs = w;
          dora.doraTargets(cfg, { ...(app ? { app } : {}), ...(o.env !== undefined ? { env: o.env } : {}) });
        },
      );
    });
}
