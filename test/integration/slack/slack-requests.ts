/**
 * Requests as Slack sends them: form-encoded string bodies signed with the signing secret
 * (`v0:` + timestamp + body, HMAC-SHA256), and a loopback catcher for response_url posts,
 * which is where Bolt's respond() goes.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SIGNING_SECRET = 'test-signing-secret-5f3a';
export const TEAM = { id: 'T0ACME', domain: 'acme' };

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function signature(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface PostOptions {
  timestamp?: number;
  signature?: string;
}

/** POSTs a raw string body; content-type must be exactly this (Bolt compares with ===). */
export async function postToSlackApp(
  url: string,
  body: string,
  opts: PostOptions = {},
): Promise<{ status: number; json?: { text?: string; response_type?: string } }> {
  const ts = opts.timestamp ?? nowSeconds();
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': opts.signature ?? signature(body, ts),
    },
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

export function commandBody(
  command: string,
  text: string,
  userId: string,
  responseUrl: string,
  channelId = 'C_USERS_API',
): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: channelId,
    channel_name: 'users-api',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command,
    text,
    api_app_id: 'A_REWIND',
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: `trig-${Math.random().toString(36).slice(2)}`,
  }).toString();
}

export function buttonBody(
  actionId: string,
  value: string,
  userId: string,
  responseUrl: string,
  message: { channel: string; ts: string },
): string {
  const payload = {
    type: 'block_actions',
    api_app_id: 'A_REWIND',
    token: 'deprecated-verification-token',
    trigger_id: `trig-${Math.random().toString(36).slice(2)}`,
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: TEAM.id },
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'users-api' },
    message: { type: 'message', ts: message.ts, text: 'run message' },
    response_url: responseUrl,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'actions',
        value,
        text: { type: 'plain_text', text: actionId },
        action_ts: `${nowSeconds()}.000100`,
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export interface CaughtResponse {
  path: string;
  body: { text?: string; response_type?: string; replace_original?: boolean };
}

/** Stands in for Slack's response_url endpoint: each request gets its own path, so answers can be matched. */
export class ResponseCatcher {
  readonly caught: CaughtResponse[] = [];
  private server?: Server;
  private base = '';
  private seq = 0;
  private waiters: Array<() => void> = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: CaughtResponse['body'] = {};
        try {
          body = JSON.parse(raw);
        } catch {
          body = { text: raw };
        }
        this.caught.push({ path: req.url ?? '/', body });
        for (const w of this.waiters.splice(0)) w();
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A fresh response_url. */
  url(): string {
    return `${this.base}/respond/${++this.seq}`;
  }

  for(url: string): CaughtResponse[] {
    return this.caught.filter((c) => url.endsWith(c.path));
  }

  async next(url: string, timeoutMs = 60_000): Promise<CaughtResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.for(url)[0];
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(
          `no response_url post to ${url} within ${timeoutMs} ms; caught: ${JSON.stringify(this.caught)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
