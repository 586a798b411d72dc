/**
 * CLI start time: wall and CPU time of `node bin/rewind.mjs --help` and of `rewind status` with
 * nothing running, against a world's Temporal dev server (standin engines: no engine is involved),
 * compared in the same run with `node -e 0` and `kubectl version --client`. The compiled build is
 * made first (scripts/build.mjs), so the launcher runs dist/ as an `npm ci` checkout does. Two more
 * rows say what `status` cannot go below in Node: loading the Temporal client alone, and loading
 * plus reading rewind.yaml with rewind's config loader alone. Commands take turns, round by round,
 * so a busy moment of the machine falls on all of them alike.
 *
 *   node --import tsx bench/cli-start.ts [runs=20] [--compare <checkout>]
 *
 * --compare adds the same two rewind rows for another checkout's bin/rewind.mjs (its dist/ as it
 * is), in the same rounds: e.g. the commit before a change, `git archive <sha> | tar -x -C /tmp/before`,
 * node_modules linked, built with its own build.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startWorld } from '../src/sandbox/world/index.js';
import { stats, writeResult, type Stats } from './lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const compareAt = args.indexOf('--compare');
const compared = compareAt >= 0 ? path.resolve(args[compareAt + 1]!) : undefined;
const runs = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--compare') ?? 20);
const GOAL_MS = 300;
const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find(existsSync);

/**
 * The children's CPU time (user + system) of this process so far, in ms, from /proc/self/stat
 * (Linux); undefined elsewhere.
 */
function childrenCpuMs(): number | undefined {
  try {
    // Fields after the command name: state is field 3; cutime and cstime are fields 16 and 17, in
    // clock ticks (USER_HZ, 100 on Linux).
    const fields = readFileSync('/proc/self/stat', 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

interface Sample {
  wallMs: number;
  cpuMs?: number;
}

function runOnce(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<Sample & { code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuMs();
    const t = performance.now();
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t;
      const cpu1 = childrenCpuMs();
      resolve({ wallMs, ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMs: cpu1 - cpu0 } : {}), code, out });
    });
  });
}

// What `npm ci` leaves: a current dist/, which bin/rewind.mjs then runs.
const t0 = performance.now();
const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (b.status !== 0) throw new Error('scripts/build.mjs failed');
const buildMs = Math.round(performance.now() - t0);

const world = await startWorld({ temporal: 'dev', engines: 'standin' });
try {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REWIND_CONFIG: world.configPath,
    KUBECONFIG: world.kube.kubeconfigPath,
    LOG_FORMAT: 'json',
  };
  delete env.REWIND_USER;
  const bin = path.join(ROOT, 'bin/rewind.mjs');
  const configLoader = path.join(ROOT, 'dist/src/lib/config/load.js');
  const commands: Array<{ key: string; label: string; cmd: string; argv: string[]; expect?: RegExp }> = [
    { key: 'nodeNoop', label: 'node -e 0', cmd: process.execPath, argv: ['-e', '0'] },
    ...(KUBECTL
      ? [{ key: 'kubectlVersion', label: 'kubectl version --client', cmd: KUBECTL, argv: ['version', '--client'] }]
      : []),
    {
      key: 'rewindHelp',
      label: 'rewind --help',
      cmd: process.execPath,
      argv: [bin, '--help'],
      expect: /Usage: rewind/,
    },
    {
      key: 'rewindStatus',
      label: 'rewind status (nothing running)',
      cmd: process.execPath,
      argv: [bin, 'status'],
      expect: /No runs in progress/,
    },
    ...(compared
      ? [
          {
            key: 'comparedHelp',
            label: `rewind --help, ${path.basename(compared)}`,
            cmd: process.execPath,
            argv: [path.join(compared, 'bin/rewind.mjs'), '--help'],
            expect: /Usage: rewind/,
          },
          {
            key: 'comparedStatus',
            label: `rewind status, ${path.basename(compared)}`,
            cmd: process.execPath,
            argv: [path.join(compared, 'bin/rewind.mjs'), 'status'],
            expect: /No runs in progress/,
          },
        ]
      : []),
    {
      key: 'floorTemporalClient',
      label: 'node, only loading @temporalio/client',
      cmd: process.execPath,
      argv: ['-e', "require('@temporalio/client')"],
    },
    ...(existsSync(configLoader)
      ? [
          {
            key: 'floorConfig',
            label: 'node, only loading rewind.yaml (dist/src/lib/config/load.js)',
            cmd: process.execPath,
            argv: [
              '--input-type=module',
              '-e',
              `const { loadConfig } = await import(${JSON.stringify(configLoader)}); await loadConfig();`,
            ],
          },
        ]
      : []),
  ];

  // Each command once before measuring: the page cache, not a cold disk, is what a person meets at the second try.
  for (const c of commands) {
    const r = await runOnce(c.cmd, c.argv, env);
    if (r.code !== 0 || (c.expect && !c.expect.test(r.out)))
      throw new Error(`${c.label} failed (exit ${r.code}):\n${r.out}`);
  }
  const samples = new Map<string, Sample[]>(commands.map((c) => [c.key, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of commands) {
      const r = await runOnce(c.cmd, c.argv, env);
      if (r.code !== 0) throw new Error(`${c.label} failed (exit ${r.code}):\n${r.out}`);
      samples.get(c.key)!.push(r);
    }
  }

  const results: Record<string, { label: string; wallMs: Stats; cpuMs?: Stats }> = {};
  for (const c of commands) {
    const s = samples.get(c.key)!;
    const cpu = s.flatMap((x) => (x.cpuMs === undefined ? [] : [x.cpuMs]));
    results[c.key] = {
      label: c.label,
      wallMs: stats(s.map((x) => x.wallMs)),
      ...(cpu.length === s.length ? { cpuMs: stats(cpu) } : {}),
    };
    const w = results[c.key]!.wallMs,
      u = results[c.key]!.cpuMs;
    console.log(
      `${c.label.padEnd(58)} wall p50 ${String(w.p50).padStart(7)}  p90 ${String(w.p90).padStart(7)}  ` +
        `max ${String(w.max).padStart(7)} ms   cpu p50 ${u ? String(u.p50).padStart(6) : '     -'} ms`,
    );
  }
  const met = (k: string) => (results[k] ? results[k]!.wallMs.p50 <= GOAL_MS : undefined);
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  await writeResult('cli-start', {
    runs,
    goalMs: GOAL_MS,
    measured: 'this checkout, compiled (dist/ built by scripts/build.mjs, as npm ci does)',
    ...(compared ? { compared } : {}),
    buildMs,
    cpuNote: 'CPU = user + system time of the child, from /proc/self/stat (10 ms ticks; the p50 of 20 runs)',
    results,
    goalMet: { help: met('rewindHelp'), status: met('rewindStatus') },
    loadAverageAtEnd: loadAverage,
  });
} finally {
  await world.stop();
}
