/**
 * Revert + push on a big config repo: rewind's revertPromotion (createGitActivities, warm cached
 * clone) beside plain git on the same warm clone (fetch + checkout + revert + push), same commits.
 *
 * The repo is synthetic, generated with `git fast-import`: 201 kustomize apps laid out like the
 * seeded one (apps/<app>/base, apps/<app>/overlays/{dev,staging,prod}/kustomization.yaml with a
 * `newTag`), ≥ 50,000 promotion commits, nearly all bumping other apps. Two users-api promotions
 * are reverted:
 *   - recent: users-api staging promoted 10 commits before the tip;
 *   - deep:   users-api prod promoted 20,000 commits before the tip (nothing touched it since).
 * The deep case shows what history walks cost: is the promotion on the branch (a commit-graph walk),
 * and the search for the run's Rewind-Run trailer (bounded to the branch's newest 500 commits; the
 * whole range promotion..tip is read only when a revert would come out empty or conflict).
 *
 * The remote is a bare repo reached by a file:// URL (git's pack protocol over pipes, no HTTP).
 * After each measured revert the remote's main is reset to the original tip, so every run reverts
 * the same promotion on the same base with a fresh run id. Where the time goes: one extra run per
 * case with git's trace2 event log on (not among the timed ones), summed per git command.
 *
 *   node --import tsx bench/big-repo-revert.ts [commits=50000] [rounds=7]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createGitActivities } from '../activities/git/index.js';
import { clonePath } from '../src/lib/git/cached-clone.js';
import { commitsForRun, runTrailerLog } from '../src/lib/git/revert-message.js';
import { gitAt } from '../src/lib/git/run-git.js';
import type { PersonRef, TargetSnapshot } from '../workflows/types.js';
import { median, r1, writeResult } from './lib.js';

const commits = Math.max(50_000, Number(process.argv[2] ?? 50_000));
const rounds = Number(process.argv[3] ?? 7);
const APPS = 200;
const ENVS = ['dev', 'staging', 'prod'] as const;
const DEEP = 20_000;
const RECENT = 10;

const run = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (await run('git', args, { cwd, maxBuffer: 64 * 2 ** 20 })).stdout.trim();

// ---------------------------------------------------------------------------------------------
// The synthetic repo.

const overlay = (
  app: string,
  env: string,
  tag: string,
) => `# ${app} in ${env}; newTag is bumped by ci-bot promotions, do not edit by hand
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${app}-${env}
resources:
  - ../../base
images:
  - name: ghcr.io/acme/${app}
    newTag: ${tag}
`;
const baseKustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
`;
const deployment = (app: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${app}
    spec:
      containers:
        - name: ${app}
          image: ghcr.io/acme/${app}:1.0.0
`;

/**
 * A fast-import stream: one commit with every file, then `commits` single-file promotions. Returns
 * the marks of the two promotions to revert.
 */
function stream(): { text: string; marks: { recent: number; deep: number } } {
  const apps = ['users-api', ...Array.from({ length: APPS }, (_, i) => `app-${String(i).padStart(3, '0')}`)];
  const out: string[] = [];
  let when = 1_700_000_000;
  let mark = 0;
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const commit = (message: string, files: Record<string, string>) => {
    mark++;
    when += 60;
    out.push(
      `commit refs/heads/main\nmark :${mark}\nauthor ci-bot <ci@acme.test> ${when} +0000\n` +
        `committer ci-bot <ci@acme.test> ${when} +0000\n${data(message)}`,
    );
    for (const [p, content] of Object.entries(files)) out.push(`M 100644 inline ${p}\n${data(content)}`);
    out.push('\n');
  };
  const all: Record<string, string> = { 'README.md': '# acme config (synthetic, for benchmarks)\n' };
  for (const app of apps) {
    all[`apps/${app}/base/kustomization.yaml`] = baseKustomization;
    all[`apps/${app}/base/deployment.yaml`] = deployment(app);
    for (const env of ENVS) all[`apps/${app}/overlays/${env}/kustomization.yaml`] = overlay(app, env, '1.0.0');
  }
  commit('initial layout', all);
  // Deterministic pseudo-random choice of the app and env each promotion bumps.
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const marks = { recent: 0, deep: 0 };
  for (let k = 1; k <= commits; k++) {
    const fromTip = commits - k;
    let app: string, env: string;
    if (fromTip === DEEP) {
      app = 'users-api';
      env = 'prod';
    } else if (fromTip === RECENT) {
      app = 'users-api';
      env = 'staging';
    } else {
      // users-api is promoted now and then too, but never prod after the deep promotion nor staging
      // after the recent one.
      app = k % 500 === 0 ? 'users-api' : apps[1 + rnd(APPS)]!;
      env = ENVS[rnd(3)]!;
      if (app === 'users-api' && ((env === 'prod' && fromTip < DEEP) || (env === 'staging' && fromTip < RECENT)))
        env = 'dev';
    }
    const tag = `1.${Math.floor(k / 1000)}.${k % 1000}`;
    commit(`promote ${app} ${tag} to ${env}`, {
      [`apps/${app}/overlays/${env}/kustomization.yaml`]: overlay(app, env, tag),
    });
    if (fromTip === DEEP) marks.deep = mark;
    if (fromTip === RECENT) marks.recent = mark;
  }
  return { text: out.join(''), marks };
}

async function fastImport(bare: string, text: string, marksFile: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn('git', ['fast-import', '--quiet', `--export-marks=${marksFile}`], {
      cwd: bare,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${err}`))));
    p.stdin.end(text);
  });
}

// ---------------------------------------------------------------------------------------------
// Trace: where a revertPromotion spends its time, per git command.

interface TraceRow {
  command: string;
  count: number;
  ms: number;
}
interface TraceProcess {
  command: string;
  atMs: number;
  ms: number;
  code: number;
  gapAfterMs?: number;
}

/**
 * rewind's git runner drops ambient GIT_* variables (GIT_TRACE2_EVENT included) from the commands
 * it runs, so the trace target goes into a global config file found through XDG_CONFIG_HOME
 * instead (git reads trace2.* only from system and global config).
 */
async function traced<T>(
  file: string,
  fn: () => Promise<T>,
): Promise<{
  wallMs: number;
  rows: TraceRow[];
  gitMs: number;
  processes: number;
  outsideGitMs: number;
  gapsOver40Ms: { count: number; totalMs: number };
  timeline: TraceProcess[];
}> {
  const xdg = path.join(path.dirname(file), `xdg-${path.basename(file, '.json')}`);
  await mkdir(path.join(xdg, 'git'), { recursive: true });
  await writeFile(path.join(xdg, 'git', 'config'), `[trace2]\n\teventTarget = ${file}\n`);
  const before = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = xdg;
  const t = performance.now();
  const t0 = Date.now();
  try {
    await fn();
  } finally {
    if (before === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = before;
  }
  const wallMs = performance.now() - t;
  const starts = new Map<string, { argv: string[]; t: number }>();
  const timeline: TraceProcess[] = [];
  const rows = new Map<string, TraceRow>();
  let gitMs = 0,
    processes = 0;
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as {
      event: string;
      sid: string;
      time: string;
      argv?: string[];
      t_abs?: number;
      code?: number;
    };
    if (e.sid.includes('/')) continue; // children of a git command (upload-pack, receive-pack, …) count in their parent
    if (e.event === 'start')
      starts.set(e.sid, {
        argv: e.argv ?? [],
        t: Date.parse(e.time) + Number(/\.\d{3}(\d{3})Z$/.exec(e.time)?.[1] ?? 0) / 1000 - t0,
      });
    if (e.event === 'exit' && starts.has(e.sid)) {
      const { argv, t: atMs } = starts.get(e.sid)!;
      const args = argv.slice(1).filter((a, i, all) => !(a === '-c' || all[i - 1] === '-c'));
      let command = args[0] ?? '?';
      if (command === 'log' && args.some((a) => a.includes('(trailers'))) command = 'log (Rewind-Run trailer search)';
      else if (command === 'log') command = 'log (other)';
      const ms = (e.t_abs ?? 0) * 1000;
      const row = rows.get(command) ?? { command, count: 0, ms: 0 };
      row.count++;
      row.ms += ms;
      rows.set(command, row);
      timeline.push({
        command: args.slice(0, 3).join(' ').slice(0, 60),
        atMs: r1(atMs),
        ms: r1(ms),
        code: e.code ?? 0,
      });
      gitMs += ms;
      processes++;
    }
  }
  timeline.sort((a, b) => a.atMs - b.atMs);
  // Time from a git process's exit to the next one's start (the last one: to the end of the call).
  timeline.forEach((p, i) => {
    p.gapAfterMs = r1((timeline[i + 1]?.atMs ?? wallMs) - p.atMs - p.ms);
  });
  const long = timeline.filter((p) => (p.gapAfterMs ?? 0) >= 40);
  const gapsOver40Ms = { count: long.length, totalMs: r1(long.reduce((n, p) => n + (p.gapAfterMs ?? 0), 0)) };
  return {
    wallMs: r1(wallMs),
    gitMs: r1(gitMs),
    processes,
    outsideGitMs: r1(wallMs - gitMs),
    gapsOver40Ms,
    timeline,
    rows: [...rows.values()].map((x) => ({ ...x, ms: r1(x.ms) })).sort((a, b) => b.ms - a.ms),
  };
}

// ---------------------------------------------------------------------------------------------

const dir = await mkdtemp(path.join(tmpdir(), 'rewind-bench-bigrepo-'));
try {
  const bare = path.join(dir, 'config.git');
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  let t = performance.now();
  const { text, marks } = stream();
  const streamMs = performance.now() - t;
  t = performance.now();
  await fastImport(bare, text, path.join(dir, 'marks'));
  const importMs = performance.now() - t;
  t = performance.now();
  await git(bare, 'repack', '-a', '-d', '-q');
  const repackMs = performance.now() - t;
  const markShas = new Map(
    (await readFile(path.join(dir, 'marks'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [m, s] = l.split(' ');
        return [Number(m!.slice(1)), s!] as const;
      }),
  );
  const tip = await git(bare, 'rev-parse', 'refs/heads/main');
  const count = Number(await git(bare, 'rev-list', '--count', 'main'));
  const sizeKiB = Number((await git(bare, 'count-objects', '-v')).match(/size-pack: (\d+)/)?.[1] ?? 0);
  const shas = { recent: markShas.get(marks.recent)!, deep: markShas.get(marks.deep)! };
  console.log(
    `repo: ${count} commits, ${(sizeKiB / 1024).toFixed(1)} MiB packed; ` +
      `stream ${r1(streamMs)} ms, fast-import ${r1(importMs)} ms, repack ${r1(repackMs)} ms`,
  );

  const url = `file://${bare}`;
  const cacheDir = path.join(dir, 'cache');
  const { revertPromotion } = createGitActivities({ cacheDir });
  const alice: PersonRef = { handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test' };
  const target = (env: 'staging' | 'prod'): TargetSnapshot => ({
    app: 'users-api',
    env,
    cluster: 'sandbox',
    engine: { kind: 'argocd', name: `users-api-${env}`, namespace: 'argocd' },
    repo: { name: 'config', url, branch: 'main' },
    path: `apps/users-api/overlays/${env}`,
    namespace: `users-api-${env}`,
    workloads: ['deployment/users-api'],
    health: { windowMs: 2000, timeoutMs: 60_000 },
    owners: [alice],
    approvers: [],
    drillTarget: false,
    approval: { required: false, minApprovers: 1, allowSelfApproval: false, timeoutMs: 3_600_000, allowCliYes: true },
  });
  const resetRemote = () => git(bare, 'update-ref', 'refs/heads/main', tip);
  let seq = 0;
  const rewindRevert = async (which: 'recent' | 'deep') => {
    const out = await revertPromotion({
      target: target(which === 'recent' ? 'staging' : 'prod'),
      sha: shas[which],
      requester: alice,
      reason: 'bench',
      runId: `rewind/users-api/bench/${++seq}`,
    });
    if (out.reused || out.attempts !== 1) console.log(`  unexpected: ${JSON.stringify(out)}`);
  };

  // Cold: the first use clones.
  t = performance.now();
  await rewindRevert('recent');
  const coldMs = performance.now() - t;
  await resetRemote();
  console.log(`cold revertPromotion (clone + revert + push): ${r1(coldMs)} ms`);

  const clone = clonePath(cacheDir, url);
  const plainGit = async (which: 'recent' | 'deep') => {
    await git(clone, 'fetch', '--prune', '--no-tags', 'origin');
    await git(clone, 'checkout', '--force', '--quiet', '-B', 'plain-work', 'origin/main');
    await git(clone, '-c', 'user.name=rewind', '-c', 'user.email=rewind@localhost', 'revert', '--no-edit', shas[which]);
    await git(clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  };

  // Rewind and plain git take turns within each round (which goes first alternates), so a busy
  // moment on the machine lands on both. Rounds are spaced like activities in a run (the clone is
  // idle when one starts). Plain git runs in rewind's clone and leaves it committed and clean.
  const timePair = async (a: () => Promise<void>, b: () => Promise<void>) => {
    await a();
    await resetRemote();
    await b();
    await resetRemote(); // warm-up round, not timed
    const ms: [number[], number[]] = [[], []];
    for (let i = 0; i < rounds; i++) {
      for (const k of i % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
        await sleep(50);
        const s = performance.now();
        await (k === 0 ? a : b)();
        ms[k].push(performance.now() - s);
        await resetRemote();
      }
    }
    const summary = (v: number[]) => ({
      medianMs: r1(median(v)),
      minMs: r1(Math.min(...v)),
      maxMs: r1(Math.max(...v)),
    });
    return [summary(ms[0]), summary(ms[1])] as const;
  };

  const results: Record<string, unknown> = {};
  const runner = gitAt(clone);
  for (const which of ['recent', 'deep'] as const) {
    const [rewind, plain] = await timePair(
      () => rewindRevert(which),
      () => plainGit(which),
    );
    // The Rewind-Run trailer search on its own, on the warm clone: the first look revertPromotion
    // makes (the branch's newest 500 commits) and the whole range promotion..tip, which it reads
    // only when a revert would come out empty or conflict.
    const perRound = async (fn: () => Promise<unknown>) => {
      const v: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const s = performance.now();
        await fn();
        v.push(performance.now() - s);
      }
      return r1(median(v));
    };
    const firstLookMs = await perRound(() =>
      runTrailerLog(runner, 'refs/remotes/origin/main', 'rewind/users-api/bench/none', 500),
    );
    const wholeRangeMs = await perRound(() =>
      commitsForRun(runner, `${shas[which]}..refs/remotes/origin/main`, 'rewind/users-api/bench/none'),
    );
    await sleep(50);
    const trace = await traced(path.join(dir, `trace-${which}.json`), () => rewindRevert(which));
    await resetRemote();
    const between = Number(await git(bare, 'rev-list', '--count', `${shas[which]}..main`));
    results[which] = {
      promotion: { env: which === 'recent' ? 'staging' : 'prod', commitsAfterIt: between },
      rewindRevertPromotion: rewind,
      plainGit: plain,
      ratio: Math.round((rewind.medianMs / plain.medianMs) * 100) / 100,
      trailerSearchMs: { firstLook: firstLookMs, wholeRange: wholeRangeMs },
      traceOfOneRevertPromotion: trace,
    };
    console.log(
      `${which.padEnd(6)} (${between} commits after the promotion): revertPromotion median ${rewind.medianMs} ms; ` +
        `plain git median ${plain.medianMs} ms (${(rewind.medianMs / plain.medianMs).toFixed(2)}×); ` +
        `trailer search: first look ${firstLookMs} ms, whole range ${wholeRangeMs} ms`,
    );
    console.log(
      `       one traced revertPromotion: ${trace.wallMs} ms wall, ` +
        `${trace.processes} git processes totalling ${trace.gitMs} ms, ` +
        `${trace.gapsOver40Ms.count} waits ≥ 40 ms between them totalling ${trace.gapsOver40Ms.totalMs} ms; ` +
        `top: ${trace.rows
          .slice(0, 4)
          .map((x) => `${x.command} ${x.ms} ms ×${x.count}`)
          .join(', ')}`,
    );
  }

  // The same two commands through simple-git (which rewind used for every git command before),
  // through rewind's runner (src/lib/git/run-git.ts) and through a bare execFile, on the warm clone.
  // simple-git resolves a command that wrote nothing to stdout or stderr 50 ms after it exits.
  const { simpleGit } = await import('simple-git');
  const sg = simpleGit({ baseDir: clone });
  const perCall = async (fn: () => Promise<unknown>) => {
    await fn();
    const s0 = performance.now();
    for (let i = 0; i < 10; i++) await fn();
    return r1((performance.now() - s0) / 10);
  };
  const spawnCost = {
    silent: {
      command: 'git worktree prune (prints nothing)',
      simpleGitMs: await perCall(() => sg.raw(['worktree', 'prune'])),
      runnerMs: await perCall(() => runner.raw(['worktree', 'prune'])),
      execFileMs: await perCall(() => git(clone, 'worktree', 'prune')),
    },
    withOutput: {
      command: 'git rev-parse HEAD (prints a sha)',
      simpleGitMs: await perCall(() => sg.raw(['rev-parse', 'HEAD'])),
      runnerMs: await perCall(() => runner.raw(['rev-parse', 'HEAD'])),
      execFileMs: await perCall(() => git(clone, 'rev-parse', 'HEAD')),
    },
  };
  console.log(
    `per call (simple-git / rewind's runner / execFile): ${spawnCost.silent.command}: ` +
      `${spawnCost.silent.simpleGitMs} / ${spawnCost.silent.runnerMs} / ${spawnCost.silent.execFileMs}` +
      ` ms; ${spawnCost.withOutput.command}: ${spawnCost.withOutput.simpleGitMs}` +
      ` / ${spawnCost.withOutput.runnerMs} / ${spawnCost.withOutput.execFileMs} ms`,
  );

  await writeResult('big-repo-revert', {
    description:
      "rewind's revertPromotion (createGitActivities({ cacheDir }), " +
      'warm cached clone) beside plain git on the same warm clone ' +
      '(git fetch + git checkout -B <work> origin/main + git revert --no-edit ' +
      '<sha> + git push), reverting the same promotion on the same base; ' +
      `the remote (a bare repo, file:// URL) is reset to its original tip ` +
      `after each run. One untimed warm-up, then ${rounds} timed runs each, ` +
      'rewind and plain git taking turns within each round, 50 ms apart.',
    note:
      'revertPromotion does more than plain git: check the branch, the path ' +
      'and the commit (does it exist, is it on the branch, single parent, ' +
      "does it touch the environment's kustomize sources), look for its run's " +
      "Rewind-Run trailer among the branch's newest 500 commits (idempotency; " +
      'the whole range promotion..tip only when a revert would come out empty or ' +
      'conflict), revert with --no-commit, commit with the requester as author ' +
      'and a message file, push with rejection handling. Object lookups go ' +
      'through one git cat-file --batch-command per use; the clone is cleaned ' +
      '(reset --hard, clean) before a use only when it is not known ' +
      'to be clean (the first use in a process, or after a failure). ' +
      'trailerSearchMs times the Rewind-Run search alone; traceOfOneRevertPromotion ' +
      'sums git trace2 exit times per top-level git command of one extra run.',
    repo: {
      commits: count,
      apps: APPS + 1,
      files: (APPS + 1) * 5 + 1,
      packedMiB: r1(sizeKiB / 1024),
      generation: { streamMs: r1(streamMs), fastImportMs: r1(importMs), repackMs: r1(repackMs) },
    },
    rounds,
    unit: 'ms',
    coldRevertPromotionMs: r1(coldMs),
    results,
    spawnCost: {
      note:
        'simple-git resolves a command that wrote nothing to stdout/stderr 50 ms after it exits (a fixed wait ' +
        "in its completion plugin); rewind's git runner (src/lib/git/run-git.ts) resolves when the process closes",
      ...spawnCost,
    },
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
