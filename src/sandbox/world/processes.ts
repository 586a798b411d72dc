/**
 * Child processes of the test world. Every process started here is killed when its
 * owner stops it, and also when this Node process exits for any reason (a failing
 * test, Ctrl-C), so no etcd or Temporal server outlives the run that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

const live = new Set<ChildProcess>();
let hooked = false;

function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  // A signal ends Node without the 'exit' event, so children would outlive it. When the
  // program handles the signal itself (the sandbox shuts down gracefully), leave it to that.
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(sig, () => {
      if (process.listenerCount(sig) > 1) return;
      killAllSync();
      process.exit(code);
    });
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited; SIGTERM first, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  exited(): boolean;
}

export function startProcess(
  name: string,
  file: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): ManagedProcess {
  hookExit();
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  live.add(child);
  let done = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      done = true;
      live.delete(child);
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  return {
    name,
    pid: child.pid,
    logFile,
    exited: () => done,
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** A free TCP port on loopback (the kernel picks it; the small race is acceptable for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns true; fails with the log tail of `proc` when the process died or time ran out. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  proc?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.exited()) throw new Error(`${what}: ${proc.name} exited early; see ${proc.logFile}`);
    try {
      if (await probe()) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${proc ? `; see ${proc.logFile}` : ''}`);
}
