/**
 * The `rewind` CLI as a child process against a test world:
 * `node --import tsx src/app/cli/main.ts …`, or the bin launcher.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from '../../../src/sandbox/world/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'src/app/cli/main.ts');
const BIN = path.join(ROOT, 'bin/rewind.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the CLI with the world's rewind.yaml; `{ bin: true }` as first argument goes through
 * bin/rewind.mjs. REWIND_USER is cleared.
 */
export function rewindCli(world: World, ...args: Array<string | { bin: true }>): Promise<CliResult> {
  return rewindCliWith(world, {}, ...args);
}

/** As rewindCli, with these environment variables on top (e.g. REWIND_CONFIG, KUBECONFIG). */
export function rewindCliWith(
  world: World,
  extraEnv: NodeJS.ProcessEnv,
  ...args: Array<string | { bin: true }>
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, REWIND_CONFIG: world.configPath, LOG_FORMAT: 'json', ...extraEnv };
  if (!('REWIND_USER' in extraEnv)) delete env.REWIND_USER;
  const viaBin = typeof args[0] === 'object';
  const rest = args.filter((a): a is string => typeof a === 'string');
  const argv = viaBin ? [BIN, ...rest] : ['--import', 'tsx', MAIN, ...rest];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
