/**
 * A real container registry in the test world: Debian's `docker-registry` (CNCF Distribution 2.8,
 * installed by `npm run provision`; REWIND_DOCKER_REGISTRY points at another binary), listening on
 * loopback, storing in the world's directory, with deletes enabled so a test can make an image
 * disappear the way a retention policy does. Images are pushed through its own HTTP API: a tiny
 * config and layer blob and an OCI manifest per tag, enough for every manifest and tag query.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { executable, MissingBinaryError, onPath } from '../../lib/tools/binaries.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.js';

/** REWIND_DOCKER_REGISTRY, then `docker-registry` on PATH (Debian installs /usr/bin/docker-registry). */
export function findDockerRegistry(): string | undefined {
  const env = process.env.REWIND_DOCKER_REGISTRY;
  if (env) {
    if (!executable(env))
      throw new MissingBinaryError('docker-registry', `REWIND_DOCKER_REGISTRY=${env} is not executable.`);
    return env;
  }
  return onPath('docker-registry') ?? ['/usr/bin/docker-registry'].find(executable);
}

export interface Registry {
  /** `http://127.0.0.1:<port>`: the API base URL rewind.yaml names for the image host. */
  url: string;
  process: ManagedProcess;
  /** Pushes `name:tag` (e.g. `acme/users-api:1.42.0`). */
  push(nameAndTag: string): Promise<void>;
  /** Deletes the manifest `name:tag` points at, as a retention policy would. */
  remove(nameAndTag: string): Promise<void>;
  stop(): Promise<void>;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startRegistry(opts: { dir: string }): Promise<Registry> {
  const bin = findDockerRegistry();
  if (!bin)
    throw new MissingBinaryError(
      'docker-registry',
      "Run `npm run provision` (as root it installs Debian's docker-registry " +
        'package), or apt-get install docker-registry, or set REWIND_DOCKER_REGISTRY.',
    );
  const dir = path.resolve(opts.dir);
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: path.join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}` },
  };
  const configFile = path.join(dir, 'config.yml');
  await writeFile(configFile, stringify(config));
  const proc = startProcess('docker-registry', bin, ['serve', configFile], path.join(dir, 'registry.log'), {
    PATH: process.env.PATH,
    HOME: dir,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil('docker-registry', async () => (await fetch(`${url}/v2/`)).ok, 60_000, proc);
  } catch (err) {
    await proc.stop();
    throw err;
  }

  const split = (nameAndTag: string) => {
    const i = nameAndTag.lastIndexOf(':');
    return { name: nameAndTag.slice(0, i), tag: nameAndTag.slice(i + 1) };
  };
  async function blob(name: string, body: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(body);
    const start = await fetch(`${url}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    if (start.status !== 202) throw new Error(`registry: starting an upload to ${name} answered ${start.status}`);
    const location = new URL(start.headers.get('location')!, url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(body),
    });
    if (put.status !== 201) throw new Error(`registry: uploading a blob to ${name} answered ${put.status}`);
    return { digest, size: body.length };
  }

  return {
    url,
    process: proc,
    async push(nameAndTag) {
      const { name, tag } = split(nameAndTag);
      const layer = await blob(name, Buffer.from(`layer of ${nameAndTag}\n`));
      const cfg = await blob(
        name,
        Buffer.from(
          JSON.stringify({
            architecture: 'amd64',
            os: 'linux',
            config: { Labels: { 'org.opencontainers.image.version': tag } },
            rootfs: { type: 'layers', diff_ids: [layer.digest] },
          }),
        ),
      );
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      });
      const res = await fetch(`${url}/v2/${name}/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        body: manifest,
      });
      if (res.status !== 201)
        throw new Error(`registry: pushing ${nameAndTag} answered ${res.status}: ${await res.text()}`);
    },
    async remove(nameAndTag) {
      const { name, tag } = split(nameAndTag);
      const head = await fetch(`${url}/v2/${name}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const digest = head.headers.get('docker-content-digest');
      if (!head.ok || !digest) throw new Error(`registry: ${nameAndTag} is not there (${head.status})`);
      const del = await fetch(`${url}/v2/${name}/manifests/${digest}`, { method: 'DELETE' });
      if (del.status !== 202) throw new Error(`registry: deleting ${nameAndTag} answered ${del.status}`);
    },
    stop: () => proc.stop(),
  };
}
