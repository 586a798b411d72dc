/**
 * The sandbox's Git host: serves bare repositories under one root directory over Git's smart
 * HTTP protocol on loopback, through the real `git http-backend` (CGI). Needed because Flux's
 * GitRepository CRD accepts only `http(s)://` and `ssh://` URLs, and an engine that fetches over
 * HTTP is closer to the real thing than one reading a path. Fetch and push both work.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** The URL of a bare repo below the root, e.g. urlFor('/tmp/x/git/config.git'). */
  urlFor(repoPath: string): string;
  stop(): Promise<void>;
}

export async function startGitHttpServer(opts: { root: string }): Promise<GitHttpServer> {
  const root = path.resolve(opts.root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME,
      GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: 'sandbox', REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      PATH_INFO: decodeURIComponent(url.pathname), QUERY_STRING: url.search.replace(/^\?/, ''), REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '', GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: String(req.headers['content-length']) } : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0), headersDone = false, stderr = '';
    cgi.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) { res.write(chunk); return; }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') + 2 : -1;
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('utf8').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim(), value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 500;
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end));
    });
    cgi.on('close', (code) => {
      if (!headersDone) { res.writeHead(500, { 'content-type': 'text/plain' }); res.end(`git http-backend exited ${code}: ${stderr}`); return; }
      res.end();
    });
    cgi.on('error', (err) => { if (!res.headersSent) res.writeHead(500); res.end(String(err)); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    urlFor(repoPath: string) {
      const rel = path.relative(root, path.resolve(repoPath));
      if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${repoPath} is not below the served root ${root}`);
      return `${baseUrl}/${rel.split(path.sep).map(encodeURIComponent).join('/')}`;
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
