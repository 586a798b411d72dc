/**
 * Verified prebuilt copies of the test world's Go binaries, for development and CI machines that
 * have them beside the checkout (`shared/prebuilt/<os>-<arch>/` with *.xz files and SHA256SUMS of
 * the uncompressed files). A copy is used only when its sum matches; anything else falls through
 * to the build from Go modules, which stays the path for every other machine.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';

export interface PrebuiltDir {
  dir: string;
  sums: Map<string, string>;
}

const PLATFORM = `${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;

/** REWIND_PREBUILT_DIR (or `off`), else the first `shared/prebuilt/<platform>` found walking up from `from`. */
export function findPrebuilt(from: string): PrebuiltDir | undefined {
  const explicit = process.env.REWIND_PREBUILT_DIR;
  if (explicit === 'off' || explicit === '') return undefined;
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  else
    for (let d = path.resolve(from); ; d = path.dirname(d)) {
      candidates.push(path.join(d, 'shared', 'prebuilt', PLATFORM), path.join(d, '..', 'shared', 'prebuilt', PLATFORM));
      if (path.dirname(d) === d) break;
    }
  for (const dir of candidates) {
    const file = path.join(dir, 'SHA256SUMS');
    if (!existsSync(file)) continue;
    const sums = new Map<string, string>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
      if (m) sums.set(m[2]!, m[1]!);
    }
    return { dir: path.resolve(dir), sums };
  }
  return undefined;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function xzDecompress(src: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('xz', ['-dc', src], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(dest, { mode: 0o755 });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    child.stdout.pipe(out);
    child.on('error', reject);
    child.on('close', (code) =>
      out.close(() => (code === 0 ? resolve() : reject(new Error(`xz -dc ${src}: ${err.trim() || `exit ${code}`}`)))),
    );
  });
}

/**
 * Installs `name` from the prebuilt dir at `dest` when its sum matches; returns why not otherwise
 * (missing, no sum, mismatch, no xz). Writes through a temporary file, so `dest` is all or nothing.
 */
export async function installPrebuilt(
  pre: PrebuiltDir,
  name: string,
  dest: string,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const want = pre.sums.get(name);
  if (!want) return { ok: false, why: `${name} has no sum in ${pre.dir}/SHA256SUMS` };
  const compressed = path.join(pre.dir, `${name}.xz`),
    plain = path.join(pre.dir, name);
  const source = existsSync(compressed) ? compressed : existsSync(plain) ? plain : undefined;
  if (!source) return { ok: false, why: `${name} is not in ${pre.dir}` };
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    if (source === compressed) await xzDecompress(compressed, tmp);
    else await copyFile(plain, tmp);
    const got = await sha256(tmp);
    if (got !== want) return { ok: false, why: `${name}: sha256 ${got} does not match SHA256SUMS (${want})` };
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
    return { ok: true };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** A relative symlink `link` → `target` (same directory), replacing what is there. */
export async function linkBeside(target: string, link: string): Promise<void> {
  await rm(link, { force: true });
  await symlink(path.basename(target), link);
}
