/**
 * The `rewind` CLI as the on-call runs it, as a child process against the story world, with its
 * output readable while it runs: an approver approves only once the requester's terminal shows
 * the plan, and the story asserts what that terminal showed before the approval.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from '../../../src/sandbox/world/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'src/app/cli/main.ts');

export interface CliRun {
  /** Everything printed on stdout so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code when the process ends. */
  readonly done: Promise<number | null>;
  /** Waits until stdout matches. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(): void;
}

export function startCli(world: World, args: string[], timeoutMs = 600_000): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, REWIND_CONFIG: world.configPath, LOG_FORMAT: 'json' };
  delete env.REWIND_USER;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  let exited = false;
  void done.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    async waitForOutput(re, ms = 120_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        if (re.test(stdout)) return stdout;
        if (exited) throw new Error(`rewind ${args.join(' ')} exited before printing ${re}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline)
          throw new Error(`rewind ${args.join(' ')} did not print ${re} within ${ms / 1000}s:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

/** Runs a CLI command to its end. */
export async function runCli(
  world: World,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(world, args);
  const code = await run.done;
  return { code, stdout: run.stdout, stderr: run.stderr };
}
