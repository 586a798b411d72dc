/**
 * `rewind dora [app] [--env e] [--since 30d] [--failure-window 24h] [--format md|json|svg]`: the
 * DORA keys of each app/env from the config repo's history, the engine's deployment records and
 * rewind's runs (src/lib/dora), with the exact commits and runs behind every number.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../../../lib/config/duration.js';
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

const YEAR_MS = 366 * 86_400_000;

function durationOption(flag: string, value: string, max: number, maxText: string): number {
  const d = parseDuration(value);
  if (d === undefined || d <= 0 || d > max)
    throw new RefusedError(
      `${flag} ${shown(value, 40)} is not a duration such as 7d or 24h (at most ${maxText})`,
      'bad-input',
    );
  return d;
}

export function addDora(program: Command, env: CommandEnv): void {
  program
    .command('dora')
    .description(
      'DORA keys per app/env from GitOps history: deployments, lead time, change failure rate, time to restore',
    )
    .argument('[app]', 'one app (default: every app in rewind.yaml)')
    .option('--env <env>', 'one environment')
    .option('--since <duration>', 'the window, back from now', '30d')
    .option(
      '--failure-window <duration>',
      'a rollback, emergency run or revert this soon after a deployment fails it',
      '24h',
    )
    .option('--format <format>', `output format: ${DORA_FORMATS.join(', ')}`, 'md')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (app: string | undefined, o: DoraCliOptions) => {
      let sinceMs = 0,
        failureWindowMs = 0;
      const dora = await import('../../../lib/dora/index.js');
      return withRewind(
        env,
        async ({ rw }) => {
          const reports = await dora.doraReports(
            { rw },
            { ...(app ? { app } : {}), ...(o.env !== undefined ? { env: o.env } : {}), sinceMs, failureWindowMs },
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
          sinceMs = durationOption('--since', o.since, YEAR_MS, '366d');
          failureWindowMs = durationOption('--failure-window', o.failureWindow, 30 * 86_400_000, '30d');
          dora.doraTargets(cfg, { ...(app ? { app } : {}), ...(o.env !== undefined ? { env: o.env } : {}) });
        },
      );
    });
}
