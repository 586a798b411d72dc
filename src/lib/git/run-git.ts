/**
 * Running git for rewind's own clones: `child_process.spawn('git', args)` with no shell, and the
 * safety simple-git gave (rewind used it for every command before), without its idle waits.
 *
 * Why not simple-git here: it resolves a command that printed nothing 50 ms after the command
 * exits (a fixed wait in its completion plugin, not an option), and rewind's revert path runs
 * several such commands (reset, clean, checkout, revert, commit, push) per revert.
 *
 * What is kept from simple-git, each checked by test/unit/git/run-git.test.ts:
 * - no shell, arguments as an array, the binary is `git` from PATH;
 * - the environment guard: ambient variables that change what git runs or reads (every `GIT_*`,
 *   EDITOR, VISUAL, PAGER, PREFIX, SSH_ASKPASS) are dropped; only the ones set here reach git;
 * - `GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS=true`, so an abbreviation such as `--upload-p` is not
 *   read as a dangerous option;
 * - options that make git run a program, read another repository's config or rewrite URLs are
 *   refused before anything runs (`--upload-pack`, `--receive-pack`, push `--exec`, rebase `-x`,
 *   clone `-u`, `--template`, `--exec-path`, `--git-dir`, `--work-tree`, `-C`, `--config-env`),
 *   and so is `-c` with a key that names a program or a hook (core.sshCommand, core.hooksPath,
 *   credential.helper, protocol.allow, url.*.insteadOf, …), in the fixed config and in arguments.
 * Added: stdin is closed (git never waits on it) and `GIT_TERMINAL_PROMPT=0` (a missing
 * credential fails at once instead of prompting on the worker's terminal).
 *
 * A command fails when git exits non-zero (simple-git resolved a failing command that wrote
 * nothing to stderr); the error's message is git's stdout then stderr, as simple-git's was.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** A git bound to one directory with fixed `-c` config. */
export interface Git {
  /** The directory git runs in. */
  readonly dir: string;
  /** `git -c <config>… <args>`: resolves stdout; rejects with GitError when git exits non-zero. */
  raw(args: readonly string[]): Promise<string>;
  /**
   * What `git cat-file` says about an object name (`<rev>`, `<rev>^{commit}`, `<rev>:<path>`), with
   * its content when `content` is true; undefined when the name is missing or ambiguous. Answered
   * by one long-lived `git cat-file --batch-command` per Git (names go on its stdin, so none is
   * ever read as an option), started on first use and ended by close().
   */
  object(name: string, content?: boolean): Promise<GitObject | undefined>;
  /** Ends the object reader, if one runs; the next object() starts another. */
  close(): void;
}

export interface GitObject {
  oid: string;
  type: string;
  size: number;
  content?: Buffer;
}

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    signal?: NodeJS.Signals | null,
  ) {
    super(
      `${stdout}${stderr}` ||
        `git ${args[0] ?? ''} ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}`,
    );
    this.name = 'GitError';
  }
}

/** Thrown before git runs when an argument or config key would make git run a program or read foreign config. */
export class UnsafeGitCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeGitCommandError';
  }
}

/** Ambient variables never passed on: every GIT_* and these (case-insensitive), as simple-git's guard. */
const GUARDED_ENV = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass']);
const isGuardedEnv = (key: string): boolean => {
  const k = key.toLowerCase().trim();
  return k.startsWith('git_') || GUARDED_ENV.has(k);
};

/** The variables rewind sets for every git command. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS: 'true',
  GIT_TERMINAL_PROMPT: '0',
};

/** `base` (default process.env) without the guarded variables, plus GIT_ENV. */
export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !isGuardedEnv(k)) env[k] = v;
  return { ...env, ...GIT_ENV };
}

/**
 * Config keys (lower case) that name a program, a hook, an include or a URL rewrite: the same
 * families simple-git refuses.
 */
const UNSAFE_CONFIG = [
  /^alias\./,
  /^core\.(askpass|editor|fsmonitor|gitproxy|hookspath|pager|sshcommand)$/,
  /^credential\.(.+\.)?helper$/,
  /^diff\.(.+\.)?(command|textconv)$/,
  /^diff\.external$/,
  /^difftool\.(.+\.)?cmd$/,
  /^filter\.(.+\.)?(clean|process|smudge)$/,
  /^gpg\.(.+\.)?program$/,
  /^include\.path$/,
  /^includeif\./,
  /^init\.templatedir$/,
  /^pager\./,
  /^merge\.(.+\.)?driver$/,
  /^mergetool\.(.+\.)?(path|cmd)$/,
  /^protocol\.(.+\.)?allow$/,
  /^remote\.(.+\.)?(receivepack|uploadpack)$/,
  /^uploadpack\.packobjectshook$/,
  /^sequence\.editor$/,
  /^submodule\.(.+\.)?update$/,
  /^tar\.(.+\.)?command$/,
  /^trailer\.(.+\.)?(cmd|command)$/,
  /^url\..+\.(insteadof|pushinsteadof)$/,
];

export function assertSafeConfig(entry: string): void {
  const eq = entry.indexOf('=');
  const key = (eq < 0 ? entry : entry.slice(0, eq)).trim().toLowerCase();
  if (key === '' || UNSAFE_CONFIG.some((re) => re.test(key)))
    throw new UnsafeGitCommandError(
      `refusing to run git with -c ${key || entry}: it names a program, a hook, an include or a URL rewrite`,
    );
}

/**
 * Options git takes before the command that rewind may pass; every other one (-C, --git-dir,
 * --work-tree, --exec-path, --config-env, …) is refused.
 */
const SAFE_GLOBAL = new Set(['--no-pager', '--literal-pathspecs', '--no-replace-objects', '--no-optional-locks']);
/**
 * Option names refused after the command, anywhere before `--`: they make git run a program (tested
 * as substrings, as simple-git does).
 */
const UNSAFE_ANYWHERE = ['--upload-pack', '--receive-pack', '--template'];
const UNSAFE_BY_COMMAND: Record<string, { long: RegExp; short: string }> = {
  push: { long: /^--exec$/, short: '' },
  rebase: { long: /^--ex(e|ec)?$/, short: 'x' },
  clone: { long: /^--u$/, short: 'u' },
};

/**
 * Refuses what simple-git's argument check refuses (see the module comment); what follows `--` or
 * `--end-of-options` is not an option.
 */
export function assertSafeArgs(args: readonly string[]): void {
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    const a = args[i]!;
    if (a === '-c') assertSafeConfig(args[++i] ?? '');
    else if (a.startsWith('-c')) assertSafeConfig(a.slice(2));
    else if (!SAFE_GLOBAL.has(a)) throw new UnsafeGitCommandError(`refusing to run git with ${a} before the command`);
  }
  const command = args[i];
  const own = UNSAFE_BY_COMMAND[command ?? ''];
  for (i++; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || a === '--end-of-options') break;
    if (!a.startsWith('-') || a === '-') continue;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (a.startsWith('--')) {
      if (UNSAFE_ANYWHERE.some((u) => name.includes(u)) || own?.long.test(name))
        throw new UnsafeGitCommandError(`refusing to run git ${command} with ${name}`);
    } else if (own?.short && a.slice(1).includes(own.short)) {
      throw new UnsafeGitCommandError(`refusing to run git ${command} with ${a}`);
    }
  }
}

export interface GitOptions {
  /** `key=value` entries passed as `-c` before every command; each is checked by assertSafeConfig. */
  config?: readonly string[];
}

/** A git for `dir`. Checks the fixed config once; every call checks its arguments. */
export function gitAt(dir: string, options: GitOptions = {}): Git {
  const config = [...(options.config ?? [])];
  config.forEach(assertSafeConfig);
  const prefix = config.flatMap((c) => ['-c', c]);
  let reader: ObjectReader | undefined;
  return {
    dir,
    raw(args) {
      try {
        assertSafeArgs(args);
      } catch (err) {
        return Promise.reject(err);
      }
      return runGit(dir, [...prefix, ...args], args);
    },
    object(name, content = false) {
      // One name per line: a line break would be read as the next request.
      if (/[\r\n]/.test(name)) return Promise.resolve(undefined);
      if (!reader || reader.closed) reader = new ObjectReader(dir, prefix);
      return reader.request(name, content);
    },
    close() {
      reader?.close();
      reader = undefined;
    },
  };
}

interface Pending {
  content: boolean;
  resolve: (o: GitObject | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * `git cat-file --batch-command`: each `info <name>` / `contents <name>` line gets one answer in
 * order, `<oid> <type> <size>` (then `<size>` bytes and a newline for contents) or
 * `<name> missing|ambiguous`. Refs are read afresh for every name, and objects written after it
 * started (a fetch's pack) are found, as git rereads its packs when a lookup misses. The process
 * does not keep Node running while nothing waits on it.
 */
class ObjectReader {
  closed = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private stderr = '';

  constructor(cwd: string, prefix: string[]) {
    this.child = spawn('git', [...prefix, 'cat-file', '--batch-command'], {
      cwd,
      env: gitEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child.stdout.on('data', (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      this.drain();
    });
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString('utf8')).slice(-4000);
    });
    this.child.stdin.on('error', () => undefined); // a dead reader is reported by 'close'
    this.child.on('error', (err) => this.fail(err));
    this.child.on('close', (code, signal) =>
      this.fail(new GitError(['cat-file', '--batch-command'], code, '', this.stderr, signal)),
    );
    this.idle();
  }

  request(name: string, content: boolean): Promise<GitObject | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ content, resolve, reject });
      this.busy();
      this.child.stdin.write(`${content ? 'contents' : 'info'} ${name}\n`);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin.end();
  }

  private drain(): void {
    for (;;) {
      const next = this.queue[0];
      if (!next) return;
      const eol = this.buf.indexOf(0x0a);
      if (eol < 0) return;
      const header = this.buf.subarray(0, eol).toString('utf8');
      const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
      if (!m) {
        // `<name> missing` / `<name> ambiguous`
        this.buf = this.buf.subarray(eol + 1);
        this.settle()?.resolve(undefined);
        continue;
      }
      const object: GitObject = { oid: m[1]!, type: m[2]!, size: Number(m[3]) };
      if (next.content) {
        if (this.buf.length < eol + 1 + object.size + 1) return; // wait for the rest of the content
        object.content = Buffer.from(this.buf.subarray(eol + 1, eol + 1 + object.size));
        this.buf = this.buf.subarray(eol + 1 + object.size + 1);
      } else {
        this.buf = this.buf.subarray(eol + 1);
      }
      this.settle()?.resolve(object);
    }
  }

  private settle(): Pending | undefined {
    const p = this.queue.shift();
    if (this.queue.length === 0) this.idle();
    return p;
  }

  private fail(err: Error): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  // Referenced only while a request waits: an unclosed reader never holds the process open.
  private busy(): void {
    this.child.ref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr])
      (s as unknown as { ref?: () => void }).ref?.();
  }
  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr])
      (s as unknown as { unref?: () => void }).unref?.();
  }
}

function runGit(cwd: string, argv: string[], args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // stdin is an ended pipe, not 'ignore': 'ignore' opens /dev/null, and git must not depend on that device.
    const child = spawn('git', argv, { cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    child.stdin.on('error', () => undefined); // git may exit before the end reaches it
    child.stdin.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    // 'close': the process exited and both pipes are drained, so the output is complete.
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new GitError(args, code, stdout, Buffer.concat(err).toString('utf8'), signal));
    });
  });
}
