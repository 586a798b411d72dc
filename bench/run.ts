/**
 * `npm run bench`: runs the benchmarks one after another, each in its own Node process (a world
 * or a Temporal runtime left behind by one cannot skew the next) with a time limit, prints each
 * one's figures, then writes bench/results/README.md from the JSON results. Figures only: no
 * benchmark asserts anything.
 *
 *   npm run bench                      # all of them (about 4 minutes on 2 cores)
 *   npm run bench -- --only slack-ack  # one of them; the summary still covers every result on disk
 *   npm run bench -- --summary         # none: only rewrite the summary from the results on disk
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { machine, RESULTS_DIR } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const BENCHMARKS = [
  {
    name: 'slack-ack',
    file: 'slack-ack.ts',
    limitMs: 180_000,
    what: 'Slack ack latency: real rewind Bolt app vs a bare Bolt app',
  },
  {
    name: 'engine-refresh',
    file: 'engine-refresh.ts',
    limitMs: 900_000,
    what: 'push to pickup on real Argo CD and Flux, with and without a refresh request',
  },
  {
    name: 'worker-overhead',
    file: 'worker-overhead.ts',
    limitMs: 240_000,
    what: 'worker overhead per step of real rollbacks',
  },
  {
    name: 'fleet-runs',
    file: 'fleet-runs.ts',
    limitMs: 1_200_000,
    what: '200 concurrent rollbacks on one worker, against one rollback alone',
  },
  {
    name: 'big-repo-revert',
    file: 'big-repo-revert.ts',
    limitMs: 240_000,
    what: 'revert + push on a 50,000-commit config repo',
  },
  {
    name: 'timeline-export',
    file: 'timeline-export.ts',
    limitMs: 120_000,
    what: 'timeline export of a 10,000-event incident',
  },
  {
    name: 'cli-start',
    file: 'cli-start.ts',
    limitMs: 600_000,
    what: 'CLI start: rewind --help and rewind status vs node -e 0 and kubectl version --client',
  },
] as const;

/**
 * Log lines of the world (pino JSON, Temporal's logger, the dev server) are not figures: only the
 * benchmark's own lines are shown.
 */
const isLogLine = (line: string) =>
  /^\s*$|^\{"level"|^time=|^\d{4}-\d\d-\d\dT|^\s+[A-Za-z_]+: |^\s*[}\]],?$|^(Temporal |runtime modules|modules by|optional modules|webpack )/.test(
    line,
  );

function runOne(b: (typeof BENCHMARKS)[number]): Promise<{ code: number | null; ms: number; timedOut: boolean }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, b.file)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, b.limitMs);
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          tail.push(line);
          if (tail.length > 40) tail.shift();
          if (!isLogLine(line)) console.log(`  ${line}`);
        }
      });
    }
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0)
        console.log(
          `  ${b.name} ${timedOut ? `timed out after ${b.limitMs / 1000} s` : `exited ${code}`}; ` +
            `last output:\n${tail.map((l) => `    ${l}`).join('\n')}`,
        );
      resolve({ code, ms: performance.now() - t, timedOut });
    });
  });
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function result(name: string): Promise<Json | undefined> {
  try {
    return JSON.parse(await readFile(path.join(RESULTS_DIR, `${name}.json`), 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

async function summary(): Promise<string> {
  const m = await machine();
  const out: string[] = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts) from the JSON files beside this ' +
      'one; each JSON says how it was measured. Figures, not pass/fail checks.',
    '',
    `Machine: Node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB memory, ${m.platform}. ` +
      `Everything on loopback; the world (kube-apiserver, Temporal dev server, git over HTTP, ` +
      `sandbox GitOps controller, Slack stand-in) shares these cores with what is measured.`,
    '',
  ];

  const slack = await result('slack-ack');
  if (slack) {
    out.push(
      `## Slack ack latency (${slack.at.slice(0, 10)})`,
      '',
      `${slack.requestsPerRow} signed \`/rollback\` requests per row after ${slack.warmup}` +
        ` warm-up${slack.rounds ? `, the rows taking turns in ${slack.rounds} rounds` : ''}; ` +
        `ms from sending to the end of the HTTP response.`,
      '',
    );
    out.push(
      row(['app, request', 'in flight', 'p50', 'p90', 'p99', 'max', 'mean']),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    );
    for (const [mode, rows] of Object.entries(slack.results as Json)) {
      const lanes = mode === 'sequential' ? 1 : slack.concurrency;
      for (const [k, label] of [
        ['bare', 'bare Bolt, ack("ok")'],
        ['rewindHelp', 'rewind, `/rollback help`'],
        ['rewindUnknownApp', 'rewind, unknown app'],
      ] as const) {
        const s = (rows as Json)[k];
        if (s) out.push(row([label, lanes, s.p50, s.p90, s.p99, s.max, s.mean]));
      }
    }
    const sw = slack.startingWork;
    if (sw) {
      out.push(row(['rewind, starting a run', 1, sw.ack.p50, sw.ack.p90, sw.ack.p99, sw.ack.max, sw.ack.mean]), '');
      out.push(
        `Starting work (${sw.requests} sequential \`/rollback users-api staging ` +
          `…\`: ${sw.outcomes.started} started a run, ${sw.outcomes.busy} refused as busy): the ` +
          `ack stays the ack, but its latency rises while the listener and the worker are busy in ` +
          `the same process; the response_url answer came after p50 ${sw.responseUrlAnswer.p50} ms, ` +
          `max ${sw.responseUrlAnswer.max} ms (each refusal queries the running workflow for its holder).`,
      );
    }
    out.push('');
  }

  const fleet = await result('fleet-runs');
  if (fleet) {
    const t = fleet.timeToRestoreMs,
      w = fleet.worker,
      l = fleet.latenciesMs;
    out.push(
      `## ${fleet.targets} concurrent rollbacks on one worker (${fleet.at.slice(0, 10)})`,
      '',
      fleet.description,
      '',
      `Outcome: ${Object.entries(fleet.outcome.phases)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}${
        fleet.outcome.errors.length ? `; errors: ${fleet.outcome.errors.join('; ')}` : ''
      }; all ${fleet.targets} ended within ${Math.round(fleet.outcome.wallMs / 1000)} s.`,
      '',
      row(['', 'single run', 'fleet p50', 'fleet p99', 'fleet max']),
      row(['---', '---:', '---:', '---:', '---:']),
      row(['time to restore, ms', t.single, t.fleet.p50, t.fleet.p99, t.fleet.max]),
      row([
        'worker share of run time, %',
        fleet.workerShare.single,
        fleet.workerShare.fleetPercent.p50,
        fleet.workerShare.fleetPercent.p99,
        fleet.workerShare.fleetPercent.max,
      ]),
      row([
        'activity queueing, ms',
        l.activityQueueSingle.p50,
        l.activityQueueFleet.p50,
        l.activityQueueFleet.p99,
        l.activityQueueFleet.max,
      ]),
      row([
        'workflow task, ms',
        l.workflowTaskSingle.p50,
        l.workflowTaskFleet.p50,
        l.workflowTaskFleet.p99,
        l.workflowTaskFleet.max,
      ]),
      '',
      `Worker process: ${w.cpuSeconds} CPU s itself and ${w.childCpuSeconds} in its ` +
        `git and kustomize children (${w.meanCores} cores on average over the burst); ` +
        `resident memory ${w.rssMiB.start} MiB before, ${w.rssMiB.peak} MiB peak.`,
      '',
    );
    const share = fleet.workerShare;
    const singleMs = Math.round((share.single * t.single) / 100);
    const small = (await result('worker-overhead'))?.totals;
    out.push(
      share.fleetPercent.p50 <= 5
        ? `Goal: the worker's share of time to restore at or below 5% (fleet p50): met.`
        : `Goal: the worker's share of time to restore at or below 5% (fleet p50): **not met** ` +
            `(${share.fleetPercent.p50}%). One rollback alone in this ${fleet.targets}-Application world already ` +
            `spends ${share.single}% of its run (${singleMs} of ${t.single} ms) between its activities` +
            `${
              small
                ? `, against ${Math.round((1000 * small.overheadMs.median) / small.runMs.median) / 10}% ` +
                  `(${small.overheadMs.median} of ${small.runMs.median} ms) in the ordinary test world (Worker ` +
                  'overhead, below)'
                : ''
            }: the round trips through Temporal between steps wait for a core that Argo CD, reconciling ` +
            `${fleet.targets} Applications on the same 2 cores, also wants. In the fleet the rest is workflow ` +
            'tasks and activities waiting for a core (the rows above).',
      '',
    );
    if (fleet.limits) out.push(fleet.limits, '');
  }

  const eng = await result('engine-refresh');
  if (eng?.results?.argocdRefresh) {
    const r = eng.results;
    out.push(
      `## Push to engine pickup, real Argo CD and Flux (${eng.at.slice(0, 10)})`,
      '',
      `${eng.samples} pushes per case; ms from the end of \`git push\` until the ` +
        `engine has the commit ("revision") and has applied it ("applied"). ${eng.note}`,
      '',
    );
    out.push(
      row(['case', 'poll', 'revision p50', 'revision max', 'applied p50', 'applied p90', 'applied max']),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    );
    for (const [label, c] of [
      ['Argo CD, refresh annotation (as the runbook)', r.argocdRefresh],
      ['Flux, requestedAt source then Kustomization (as the runbook)', r.fluxRefresh],
      ['Argo CD, no refresh', r.argocdPoll],
      ['Flux, no refresh', r.fluxPoll],
    ] as const) {
      out.push(
        row([label, `${c.pollSeconds} s`, c.revision.p50, c.revision.max, c.synced.p50, c.synced.p90, c.synced.max]),
      );
    }
    out.push('');
  }

  const wo = await result('worker-overhead');
  if (wo) {
    const t = wo.totals;
    out.push(
      `## Worker overhead per step (${wo.at.slice(0, 10)})`,
      '',
      `${wo.runs} real rollbacks of users-api staging after a warm-up run; from the workflow ` +
        `history. Overhead = run time − time inside activities (git, engine, rollout, Slack) and timers.`,
      '',
    );
    out.push(row(['', 'median ms', 'max ms']), row(['---', '---:', '---:']));
    out.push(
      row(['run time', t.runMs.median, t.runMs.max]),
      row(['inside activities', t.activityExecMs.median, t.activityExecMs.max]),
      row(['**overhead**', `**${t.overheadMs.median}**`, `**${t.overheadMs.max}**`]),
    );
    out.push(
      row(['… workflow tasks (scheduled → completed)', t.workflowTaskMs.median, t.workflowTaskMs.max]),
      row(['… activity queueing (scheduled → started)', t.activityQueueMs.median, t.activityQueueMs.max]),
      '',
    );
    out.push(row(['step', 'duration p50', 'overhead p50', 'overhead max']), row(['---', '---:', '---:', '---:']));
    for (const [name, s] of Object.entries(wo.perStep as Json))
      out.push(row([name, s.durationMs.median, s.overheadMs.median, s.overheadMs.max]));
    out.push('', `Warm-up run (cold caches): ${wo.warmupRun.totalMs} ms, overhead ${wo.warmupRun.overheadMs} ms.`, '');
  }

  const big = await result('big-repo-revert');
  if (big) {
    out.push(
      `## Revert + push on a big repo (${big.at.slice(0, 10)})`,
      '',
      `${big.repo.commits} commits, ${big.repo.files} files, ${big.repo.packedMiB} MiB packed ` +
        `(generated with git fast-import in ${Math.round(big.repo.generation.fastImportMs / 100) / 10} s); ` +
        `remote by file:// URL; warm clone; medians of ${big.rounds} runs, ms.`,
      '',
    );
    out.push(
      row([
        'promotion reverted',
        'commits after it',
        'revertPromotion',
        'plain git',
        'ratio (goal ≤ 1.5)',
        'trailer search: newest 500 / whole range',
        'git processes',
        'time in git',
        '50 ms waits',
      ]),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    );
    for (const [k, r] of Object.entries(big.results as Json)) {
      const tr = r.traceOfOneRevertPromotion;
      out.push(
        row([
          k,
          r.promotion.commitsAfterIt,
          r.rewindRevertPromotion.medianMs,
          r.plainGit.medianMs,
          `${r.ratio}×`,
          `${r.trailerSearchMs.firstLook} / ${r.trailerSearchMs.wholeRange}`,
          tr.processes,
          tr.gitMs,
          `${tr.gapsOver40Ms.count} (${tr.gapsOver40Ms.totalMs})`,
        ]),
      );
    }
    out.push(
      '',
      `Cold (first use clones): ${big.coldRevertPromotionMs} ms. Per call, simple-git vs execFile: silent \`git ` +
        `worktree prune\` ${big.spawnCost.silent.simpleGitMs} vs ${big.spawnCost.silent.execFileMs} ms; \`git ` +
        `rev-parse HEAD\` ${big.spawnCost.withOutput.simpleGitMs} vs ${big.spawnCost.withOutput.execFileMs} ms. ` +
        `simple-git resolves a command that printed nothing 50 ms after it exits, and ` +
        `revertPromotion runs several such commands (reset, clean, worktree prune, ` +
        `checkout, revert, commit, push), which is most of its lead over plain git.`,
      '',
    );
  }

  const tl = await result('timeline-export');
  if (tl) {
    out.push(
      `## Timeline export (${tl.at.slice(0, 10)})`,
      '',
      `${tl.document.events} events; median ms of ${tl.rounds} rounds: ${Object.entries(tl.results as Json)
        .map(([k, v]) => `${k} ${v.medianMs}`)
        .join(', ')}.`,
      '',
    );
  }

  const cli = await result('cli-start');
  if (cli) {
    const goal = (met: boolean | undefined) => (met === undefined ? '-' : met ? 'met' : '**not met**');
    out.push(
      `## CLI start time (${cli.at.slice(0, 10)})`,
      '',
      `${cli.runs} runs of each, taking turns; ${cli.measured}; \`status\` against the world's ` +
        `Temporal dev server with nothing running. Wall ms from spawn to exit; CPU = user + system ms ` +
        `of the process. Goal: ${cli.goalMs} ms wall (p50) for both: --help ${goal(cli.goalMet?.help)}, ` +
        `status ${goal(cli.goalMet?.status)}. Load average at the end: ${(cli.loadAverageAtEnd ?? []).join(', ')}.`,
      '',
    );
    out.push(
      row(['command', 'wall p50', 'wall p90', 'wall max', 'CPU p50']),
      row(['---', '---:', '---:', '---:', '---:']),
    );
    for (const r of Object.values(cli.results as Json))
      out.push(row([r.label, r.wallMs.p50, r.wallMs.p90, r.wallMs.max, r.cpuMs?.p50 ?? '-']));
    if (cli.note) out.push('', cli.note);
    out.push('');
  }
  return out.join('\n');
}

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
// --summary: rewrite bench/results/README.md from the results on disk (after one bench ran by itself).
const chosen = process.argv.includes('--summary')
  ? []
  : only
    ? BENCHMARKS.filter((b) => b.name === only)
    : [...BENCHMARKS];
if (only && chosen.length === 0) {
  console.error(`no benchmark "${only}"; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const failed: string[] = [];
for (const b of chosen) {
  console.log(`\n== ${b.name}: ${b.what}`);
  const r = await runOne(b);
  console.log(`  (${(r.ms / 1000).toFixed(1)} s)`);
  if (r.code !== 0) failed.push(b.name);
}
const readme = await summary();
await writeFile(path.join(RESULTS_DIR, 'README.md'), `${readme}\n`);
console.log(
  `\nwrote ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'README.md'))}` +
    `${failed.length ? `; did not finish: ${failed.join(', ')}` : ''}`,
);
if (failed.length) process.exitCode = 1;
