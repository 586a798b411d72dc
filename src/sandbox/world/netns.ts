/**
 * Runs a program that insists on listening on all interfaces (Argo CD's application controller
 * binds its metrics server to 0.0.0.0, hard-coded) without it being reachable beyond loopback:
 * the program joins a private network namespace whose only interface is its own `lo`, and the
 * loopback ports it must reach (kube-apiserver, redis, repo-server) are relayed into that
 * namespace through Unix sockets, which cross namespaces because they live in the filesystem.
 *
 * Needs `unshare` and `nsenter` (util-linux) and `ip` (iproute2): as root a plain network
 * namespace, otherwise inside an unprivileged user namespace (`unshare -r`) where the kernel allows it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startProcess, waitUntil, type ManagedProcess } from './processes.js';

const RELAY_SCRIPT = fileURLToPath(new URL('./netns-relay.mjs', import.meta.url));
const run = promisify(execFile);

export interface IsolatedOptions {
  name: string;
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Loopback ports of the host the program must reach; they keep their numbers inside. */
  forwards: number[];
  /** Where the Unix sockets and logs go. */
  dir: string;
}

export interface IsolatedProcess extends ManagedProcess {
  /** The namespace's init process (the relay); for tests that check what listens inside. */
  readonly relayPid: number;
}

const rootless = () => process.getuid?.() !== 0;

/** Whether this machine can isolate a process this way; the reason when it cannot. */
export async function netnsSupport(): Promise<{ ok: true } | { ok: false; why: string }> {
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    try {
      await run(tool, ['--version']);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { ok: false, why: `${tool} is missing (apt-get install ${tool === 'ip' ? 'iproute2' : 'util-linux'})` };
    }
  }
  try {
    await run('unshare', [...(rootless() ? ['-r'] : []), '-n', 'ip', 'link', 'set', 'lo', 'up']);
    return { ok: true };
  } catch (err) {
    return {
      ok: false,
      why:
        `cannot create a private network namespace here (${(err as Error).message.split('\n')[0]}); ` +
        `run as root or allow unprivileged user namespaces`,
    };
  }
}

/** Host side of each forward: a Unix socket that connects to 127.0.0.1:port. */
function serveForward(port: number, socket: string): Promise<net.Server> {
  const server = net.createServer((c) => {
    const up = net.connect(port, '127.0.0.1');
    c.pipe(up);
    up.pipe(c);
    const close = () => {
      c.destroy();
      up.destroy();
    };
    for (const s of [c, up]) {
      s.on('error', close);
      s.on('close', close);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve(server));
  });
}

export async function startIsolated(opts: IsolatedOptions): Promise<IsolatedProcess> {
  const servers: net.Server[] = [];
  const forwards = [];
  for (const port of opts.forwards) {
    const socket = path.join(opts.dir, `${opts.name}-${port}.sock`);
    await rm(socket, { force: true });
    servers.push(await serveForward(port, socket));
    forwards.push({ port, socket });
  }
  const closeServers = () => Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  const relayLog = path.join(opts.dir, `${opts.name}-netns.log`);
  const relay = startProcess(
    `${opts.name} netns`,
    'unshare',
    [...(rootless() ? ['-r'] : []), '-n', process.execPath, RELAY_SCRIPT, JSON.stringify({ forwards })],
    relayLog,
  );
  try {
    await waitUntil(
      `${opts.name} network namespace`,
      async () => existsSync(relayLog) && (await readFile(relayLog, 'utf8')).includes('relay ready'),
      15_000,
      relay,
    );
  } catch (err) {
    await relay.stop();
    await closeServers();
    throw err;
  }
  const enter = [
    '-t',
    String(relay.pid),
    '-n',
    ...(rootless() ? ['-U', '--preserve-credentials'] : []),
    '--',
    opts.file,
    ...opts.args,
  ];
  const proc = startProcess(opts.name, 'nsenter', enter, path.join(opts.dir, `${opts.name}.log`), opts.env);
  return {
    name: proc.name,
    pid: proc.pid,
    logFile: proc.logFile,
    relayPid: relay.pid,
    exited: () => proc.exited() || relay.exited(),
    async stop(graceMs) {
      await proc.stop(graceMs);
      await relay.stop(graceMs);
      await closeServers();
    },
  };
}
