/**
 * `rewind pauses`: every app environment whose auto-sync is off, read from the engines (not
 * from Temporal), with the lease when rewind paused it. A pause without a lease, or with an
 * expired one, is flagged: each is a live state Git may not hold.
 */
import type { Command } from 'commander';
import type { PauseRow } from '../../../lib/pauses.js';
import { withConfig, type CommandEnv } from '../action.js';
import { EXIT } from '../io.js';

export const PAUSE_FLAG_TEXT: Record<NonNullable<PauseRow['flag']>, string> = {
  'no-lease': 'NO LEASE: paused by hand or a run was terminated',
  'lease-expired': 'LEASE EXPIRED',
};

const HEADER = ['APP/ENV', 'ENGINE', 'WHO', 'SINCE', 'REASON', 'INCIDENT', 'EXPIRES', 'FLAG'];

/** One row per pause, columns padded to the widest cell; `-` where there is nothing to say. */
export function pauseTableLines(rows: PauseRow[]): string[] {
  if (rows.length === 0) return ['No app has auto-sync paused.'];
  const cells = rows.map((r) => {
    const l = r.lease;
    const flag = r.error ? `ERROR: cannot read it: ${r.error}` : r.flag ? PAUSE_FLAG_TEXT[r.flag] : '-';
    return [
      `${r.app}/${r.env}`,
      r.engine,
      l?.by ?? '-',
      l?.pausedAt ?? '-',
      l?.reason ?? '-',
      l?.incidentId ?? '-',
      l?.expiresAt ?? '-',
      flag,
    ];
  });
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(HEADER), ...cells.map(line)];
}

export function addPauses(program: Command, env: CommandEnv): void {
  program
    .command('pauses')
    .description('list every app environment whose auto-sync is paused, with who paused it, why and until when')
    .option('--json', 'print the rows as a JSON array')
    .action((o: { json?: boolean }) =>
      withConfig(env, async (cfg) => {
        const [{ clustersFromConfig }, { listPauses }] = await Promise.all([
          import('../../../lib/kube/clusters.js'),
          import('../../../lib/pauses.js'),
        ]);
        const rows = await listPauses(cfg, clustersFromConfig(cfg));
        if (o.json) env.io.out(JSON.stringify(rows));
        else pauseTableLines(rows).forEach(env.io.out);
        // An engine that could not be read is a pause that may be missing from the list.
        return rows.some((r) => r.error) ? EXIT.failed : EXIT.ok;
      }),
    );
}
