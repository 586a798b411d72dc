/**
 * Expiring credentials for the test world, checked by the real kube-apiserver: an exec credential
 * plugin (exec-credential-plugin.mjs) hands out HMAC-signed tokens that expire a few seconds after
 * they are issued, and a TokenReview webhook in this process, which kube-apiserver asks about each
 * bearer token (--authentication-token-webhook-config-file, no caching), accepts them until then
 * and refuses expired or foreign ones (authenticated: false, so the API server answers 401).
 * kube-apiserver itself also keeps a successful token review for 10 s (its own token cache, not the
 * webhook's, and no flag sets it), so an expired token is refused at the latest 10 s after its
 * first use: a test that wants to see the refusal waits that long.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const PLUGIN = fileURLToPath(new URL('./exec-credential-plugin.mjs', import.meta.url));
const PREFIX = 'rewind-exec';

export interface ExecCredentialOptions {
  /** How long each token is valid. */
  lifetimeSeconds: number;
  /** @default 'exec-user' */
  user?: string;
  /** The identity's groups, as the webhook reports them. @default ['system:masters'] */
  groups?: string[];
}

export interface ExecCredentials {
  /** The kubeconfig user entry (`exec:` running the plugin). */
  kubeconfigUser: { name: string; exec: Record<string, unknown> };
  /** kube-apiserver flags that install the webhook. */
  apiserverArgs: string[];
  /** `invalid`: the plugin signs its next tokens with a key the webhook does not trust. */
  setMode(mode: 'valid' | 'invalid'): Promise<void>;
  /** How many times the plugin has run. */
  issued(): Promise<number>;
  /** The webhook's verdicts so far. */
  reviews: { accepted: number; expired: number; invalid: number };
  stop(): Promise<void>;
}

interface TokenClaims {
  sub: string;
  exp: number;
}

function verify(token: string, key: string): { claims?: TokenClaims; error?: string } {
  const [prefix, payload, sig] = token.split('.');
  if (prefix !== PREFIX || !payload || !sig) return { error: 'not a rewind-exec token' };
  const want = createHmac('sha256', key).update(`${prefix}.${payload}`).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { error: 'bad signature' };
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
  if (claims.exp * 1000 <= Date.now())
    return { error: `token expired at ${new Date(claims.exp * 1000).toISOString()}` };
  return { claims };
}

export async function startExecCredentials(dir: string, opts: ExecCredentialOptions): Promise<ExecCredentials> {
  const key = randomBytes(32).toString('hex');
  const user = opts.user ?? 'exec-user';
  const groups = opts.groups ?? ['system:masters'];
  const configPath = path.join(dir, 'exec-plugin.json'),
    issuedLog = path.join(dir, 'exec-plugin-issued.log');
  const writeConfig = (mode: 'valid' | 'invalid') =>
    writeFile(
      configPath,
      JSON.stringify({ key, lifetimeSeconds: opts.lifetimeSeconds, user, mode, prefix: PREFIX, issuedLog }),
      { mode: 0o600 },
    );
  await writeConfig('valid');
  await writeFile(issuedLog, '');

  const reviews = { accepted: 0, expired: 0, invalid: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let review: { apiVersion?: string; spec?: { token?: string } };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const { claims, error } = verify(review.spec?.token ?? '', key);
      if (claims) reviews.accepted++;
      else if (error?.startsWith('token expired')) reviews.expired++;
      else reviews.invalid++;
      const status = claims
        ? { authenticated: true, user: { username: claims.sub, uid: `exec-${claims.sub}`, groups } }
        : { authenticated: false, error };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ apiVersion: review.apiVersion ?? 'authentication.k8s.io/v1', kind: 'TokenReview', status }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const webhookConfig = path.join(dir, 'token-webhook.kubeconfig');
  await writeFile(
    webhookConfig,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'token-webhook', cluster: { server: `http://127.0.0.1:${port}/tokenreview` } }],
      users: [{ name: 'kube-apiserver', user: {} }],
      contexts: [{ name: 'webhook', context: { cluster: 'token-webhook', user: 'kube-apiserver' } }],
      'current-context': 'webhook',
    }),
  );

  return {
    kubeconfigUser: {
      name: user,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: process.execPath,
        args: [PLUGIN, configPath],
        interactiveMode: 'Never',
      },
    },
    apiserverArgs: [
      `--authentication-token-webhook-config-file=${webhookConfig}`,
      '--authentication-token-webhook-version=v1',
      // Every request is reviewed: a cached verdict would keep an expired token working.
      '--authentication-token-webhook-cache-ttl=0s',
    ],
    setMode: writeConfig,
    async issued() {
      return (await readFile(issuedLog, 'utf8')).split('\n').filter(Boolean).length;
    },
    reviews,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
