/**
 * STAND-IN for Slack's Socket Mode: a loopback server that plays Slack's side of the protocol as
 * api.slack.com/apis/socket-mode documents it, and records what the app sends back. It is not
 * Slack; it exists because the real Slack cannot run in tests. The real Bolt app (its
 * SocketModeReceiver and @slack/socket-mode client) talks to it unchanged through
 * `slackApiUrl = apiUrl`.
 *
 * - `POST apps.connections.open` with `Authorization: Bearer xapp-…` answers `{ ok, url }`, a
 *   one-time `ws://` link; a missing token is `not_authed`, a wrong one `invalid_auth`, a bot or
 *   user token `not_allowed_token_type`, all with HTTP 200 as Slack does.
 * - The WebSocket at that link (RFC 6455, written here over node:http's upgrade so the stand-in
 *   needs no package) greets with `hello`, then carries envelopes
 *   `{ envelope_id, type, payload, accepts_response_payload }`; every text frame the app sends
 *   is recorded as an ack `{ envelope_id, payload? }` and resolves the matching `send`.
 * - `disconnect(reason)` sends Slack's `{ type: 'disconnect', reason }` (refresh_requested,
 *   warning, link_disabled), after which a well-behaved client opens a new link.
 * - It answers the client's pings with pongs and close frames with close frames.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketAck {
  envelopeId: string;
  /** What the app answered in the ack (Slack shows it to the person), if anything. */
  payload?: Record<string, unknown>;
  /** Milliseconds from sending the envelope to receiving its ack. */
  ms: number;
  /** Which connection (1-based, in order of opening) carried it. */
  connection: number;
}

export interface ConnectionsOpenCall {
  at: number;
  ok: boolean;
  error?: string;
}

export interface SlackSocketModeStandIn {
  /** e.g. http://127.0.0.1:PORT/api/ (pass as the socket client's slackApiUrl). */
  apiUrl: string;
  /** The only app-level token accepted. */
  appToken: string;
  /** Every apps.connections.open, in order. */
  opens: ConnectionsOpenCall[];
  /** Every ack received, in order. */
  acks: SocketAck[];
  /** Connections currently open (hello sent, not closed). */
  readonly open: number;
  /** How many connections were ever greeted with hello. */
  readonly greeted: number;
  /** Resolves once `greeted` reaches n. */
  waitForHello(n?: number, timeoutMs?: number): Promise<void>;
  /**
   * Sends an envelope on the newest open connection; resolves with its ack, rejects after timeoutMs
   * (Slack's 3 s by default).
   */
  send(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    opts?: { timeoutMs?: number; acceptsResponsePayload?: boolean },
  ): Promise<SocketAck>;
  /** A slash command as Slack delivers it over Socket Mode (the same fields as the HTTP form body). */
  slashCommand(
    command: string,
    text: string,
    userId: string,
    responseUrl: string,
    opts?: { timeoutMs?: number },
  ): Promise<SocketAck>;
  /** Sends `{ type: 'disconnect', reason }` on every open connection. */
  disconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  stop(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const TEAM_ID = 'T0ACME';
const APP_ID = 'A_REWIND';

/** One server-side WebSocket: unmasked frames out, masked frames in. */
class ServerSocket {
  private buf = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closeSent = false;
  closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly onText: (text: string) => void,
    private readonly onClose: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    socket.on('close', () => {
      if (!this.closed) {
        this.closed = true;
        this.onClose();
      }
    });
    socket.on('error', () => socket.destroy());
  }

  sendText(text: string): void {
    this.frame(0x1, Buffer.from(text, 'utf8'));
  }

  close(code = 1000): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.frame(0x8, body);
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private frame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const len = payload.length;
    const head =
      len < 126
        ? Buffer.from([0x80 | opcode, len])
        : len < 65536
          ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
          : Buffer.concat([
              Buffer.from([0x80 | opcode, 127]),
              (() => {
                const b = Buffer.alloc(8);
                b.writeBigUInt64BE(BigInt(len));
                return b;
              })(),
            ]);
    this.socket.write(Buffer.concat([head, payload]));
  }

  private drain(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0]! & 0x80) !== 0;
      const opcode = this.buf[0]! & 0x0f;
      const masked = (this.buf[1]! & 0x80) !== 0;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      // Clients must mask every frame (RFC 6455 5.1): an unmasked one ends the connection.
      if (!masked) {
        this.close(1002);
        return;
      }
      if (this.buf.length < off + 4 + len) return;
      const mask = this.buf.subarray(off, off + 4);
      const payload = Buffer.from(this.buf.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      this.buf = this.buf.subarray(off + 4 + len);
      if (opcode === 0x8) {
        this.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1000);
        this.socket.end();
        continue;
      }
      if (opcode === 0x9) {
        this.frame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(payload);
        if (fin) {
          const text = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          this.onText(text);
        }
      }
    }
  }
}

export async function startSlackSocketModeStandIn(opts: { appToken?: string } = {}): Promise<SlackSocketModeStandIn> {
  const appToken = opts.appToken ?? `xapp-1-${APP_ID}-1-${randomBytes(16).toString('hex')}`;
  const opens: ConnectionsOpenCall[] = [];
  const acks: SocketAck[] = [];
  const tickets = new Set<string>();
  const live: Array<{ n: number; ws: ServerSocket }> = [];
  const pending = new Map<
    string,
    { sentAt: number; resolve: (a: SocketAck) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  const helloWaiters = new Set<{ n: number; resolve: () => void }>();
  let greeted = 0;
  let base = '';

  const json = (res: ServerResponse, body: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      if (url.pathname !== '/api/apps.connections.open') {
        json(res, { ok: false, error: 'unknown_method' });
        return;
      }
      const auth = req.headers.authorization ?? '';
      const presented = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
      const error = !presented
        ? 'not_authed'
        : /^xox[abpr]-/.test(presented)
          ? 'not_allowed_token_type'
          : presented !== appToken
            ? 'invalid_auth'
            : undefined;
      opens.push({ at: Date.now(), ok: !error, ...(error ? { error } : {}) });
      if (error) {
        json(res, { ok: false, error });
        return;
      }
      const ticket = randomUUID();
      tickets.add(ticket);
      json(res, { ok: true, url: `${base.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${APP_ID}` });
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const url = new URL(req.url ?? '/', base);
    const ticket = url.searchParams.get('ticket') ?? '';
    const key = req.headers['sec-websocket-key'];
    // A link is good for one connection, as Slack's are.
    if (
      url.pathname !== '/link/' ||
      !tickets.delete(ticket) ||
      typeof key !== 'string' ||
      (req.headers.upgrade ?? '').toLowerCase() !== 'websocket'
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const n = ++greeted;
    const entry = { n, ws: undefined as unknown as ServerSocket };
    entry.ws = new ServerSocket(
      socket,
      (text) => {
        let msg: { envelope_id?: unknown; payload?: unknown };
        try {
          msg = JSON.parse(text) as typeof msg;
        } catch {
          return;
        }
        if (typeof msg.envelope_id !== 'string') return;
        const p = pending.get(msg.envelope_id);
        const payload =
          msg.payload && typeof msg.payload === 'object' && Object.keys(msg.payload).length > 0
            ? (msg.payload as Record<string, unknown>)
            : undefined;
        const ack: SocketAck = {
          envelopeId: msg.envelope_id,
          ...(payload ? { payload } : {}),
          ms: p ? Date.now() - p.sentAt : 0,
          connection: n,
        };
        acks.push(ack);
        if (p) {
          pending.delete(msg.envelope_id);
          clearTimeout(p.timer);
          p.resolve(ack);
        }
      },
      () => {
        const i = live.indexOf(entry);
        if (i >= 0) live.splice(i, 1);
      },
    );
    live.push(entry);
    entry.ws.sendText(
      JSON.stringify({
        type: 'hello',
        num_connections: live.length,
        debug_info: { host: 'applink-standin', approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    for (const w of [...helloWaiters])
      if (greeted >= w.n) {
        helloWaiters.delete(w);
        w.resolve();
      }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const send: SlackSocketModeStandIn['send'] = (type, payload, o = {}) => {
    const conn = live[live.length - 1];
    if (!conn) return Promise.reject(new Error('no open Socket Mode connection to send on'));
    const envelopeId = randomUUID();
    const timeoutMs = o.timeoutMs ?? 3000;
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope ${envelopeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(envelopeId, { sentAt: Date.now(), resolve, reject, timer });
      const envelope =
        type === 'events_api'
          ? {
              envelope_id: envelopeId,
              type,
              payload,
              accepts_response_payload: false,
              retry_attempt: 0,
              retry_reason: '',
            }
          : { envelope_id: envelopeId, type, payload, accepts_response_payload: o.acceptsResponsePayload ?? true };
      conn.ws.sendText(JSON.stringify(envelope));
    });
  };

  return {
    apiUrl: `${base}/api/`,
    appToken,
    opens,
    acks,
    get open() {
      return live.length;
    },
    get greeted() {
      return greeted;
    },
    waitForHello(n = 1, timeoutMs = 10_000) {
      if (greeted >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w = {
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          helloWaiters.delete(w);
          reject(
            new Error(
              `${greeted} Socket Mode connection(s) greeted, waited ` +
                `for ${n} (apps.connections.open: ${JSON.stringify(opens)})`,
            ),
          );
        }, timeoutMs);
        helloWaiters.add(w);
      });
    },
    send,
    slashCommand(command, text, userId, responseUrl, o = {}) {
      return send(
        'slash_commands',
        {
          token: 'standin-verification-token',
          team_id: TEAM_ID,
          team_domain: 'acme',
          channel_id: 'C_INCIDENTS',
          channel_name: 'incidents',
          user_id: userId,
          user_name: userId.toLowerCase(),
          command,
          text,
          api_app_id: APP_ID,
          is_enterprise_install: 'false',
          response_url: responseUrl,
          trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
        },
        o,
      );
    },
    disconnect(reason = 'refresh_requested') {
      for (const { ws } of live)
        ws.sendText(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-standin' } }));
    },
    async stop() {
      for (const [, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new Error('Socket Mode stand-in stopped'));
      }
      pending.clear();
      for (const { ws } of [...live]) ws.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
