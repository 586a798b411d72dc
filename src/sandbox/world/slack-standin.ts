/**
 * STAND-IN for the Slack Web API: a loopback HTTP server that answers the methods rewind uses
 * the way api.slack.com documents them, and records every call. It is not Slack; it exists
 * because the real Slack cannot run in tests. The real Bolt app and @slack/web-api client talk
 * to it unchanged through `clientOptions.slackApiUrl = apiUrl`.
 *
 * Slack conventions kept on purpose: HTTP 200 with `{ ok: false, error }` for API errors (the
 * client only treats 429 and non-200 as transport failures), form-encoded bodies whose nested
 * values (blocks, attachments, files) are JSON strings, and the three-step external upload
 * (getUploadURLExternal, POST bytes to upload_url, completeUploadExternal).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.js';

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  email: string;
  tz?: string;
}

export interface SlackCall {
  method: string;
  /** Arguments as sent, without the token; JSON-string fields are parsed back into values. */
  args: Record<string, unknown>;
  at: number;
  ok: boolean;
  error?: string;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  threadTs?: string;
  /** Files shared into the channel by files.completeUploadExternal. */
  files?: Array<{ id: string; title: string }>;
  /** Set by chat.update, like Slack's `edited` field. */
  edited?: { user: string; ts: string };
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  messageTs: string;
  text?: string;
  blocks?: unknown[];
}

export interface SlackUpload {
  filename: string;
  bytes: Buffer;
  title?: string;
  channel?: string;
  initialComment?: string;
  /** True once files.completeUploadExternal accepted it. */
  completed: boolean;
}

export interface SlackStandInOptions {
  /** The only bot token accepted; default `xoxb-rewind-standin`. */
  token?: string;
  users?: SlackUser[];
  /** When set, posting anywhere else fails with channel_not_found, as for a channel the bot is not in. */
  channels?: string[];
}

export interface SlackStandIn {
  /** e.g. http://127.0.0.1:PORT/api/ (pass to Bolt clientOptions.slackApiUrl). */
  apiUrl: string;
  token: string;
  /** Pass as Bolt's botId/botUserId so it skips auth.test at construction. */
  botId: string;
  botUserId: string;
  calls: SlackCall[];
  uploads: Map<string, SlackUpload>;
  /** Current channel messages (after updates), oldest first. */
  messages(channel?: string): SlackMessage[];
  ephemerals(user?: string): SlackEphemeral[];
  /** Resolves on an existing or future call; rejects with the calls seen so far on timeout. */
  waitForCall(method: string, predicate?: (c: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /**
   * Takes the Web API away until `startApi()`, on purpose (an outage; recorded calls and waiters stay):
   * - `refuse` (default) closes the listener and cuts open connections: clients get ECONNREFUSED or a reset.
   * - `hang` keeps accepting connections and reading requests but never answers them, like a Slack
   *   behind a stuck proxy; those requests are listed in `unanswered` and cut when the API comes back.
   */
  stopApi(opts?: { mode?: SlackOutageMode }): Promise<void>;
  /** Answers again, on the same port. */
  startApi(): Promise<void>;
  /** The current outage mode, if the API is taken away. */
  readonly down: SlackOutageMode | undefined;
  /** Requests that arrived while the API hung (never answered), oldest first. */
  unanswered: Array<{ path: string; at: number }>;
  /** Tears the stand-in down for good (rejects pending waiters). */
  stop(): Promise<void>;
}

export type SlackOutageMode = 'refuse' | 'hang';

export const DEFAULT_SLACK_USERS: readonly SlackUser[] = [
  { id: 'U_ALICE', name: 'alice', realName: 'Alice Owner', email: 'alice@acme.test', tz: 'Europe/Berlin' },
  { id: 'U_BOB', name: 'bob', realName: 'Bob Approver', email: 'bob@acme.test', tz: 'America/New_York' },
  { id: 'U_MALLORY', name: 'mallory', realName: 'Mallory Intruder', email: 'mallory@acme.test', tz: 'UTC' },
];

const TEAM = { id: 'T0ACME', name: 'Acme', domain: 'acme' };
const JSON_FIELDS = new Set(['blocks', 'attachments', 'files', 'metadata']);
const MAX_BODY = 50 * 1024 * 1024;

class SlackApiError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

type Args = Record<string, unknown>;
type Handler = (args: Args) => Record<string, unknown>;

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

async function formParts(body: Buffer, contentType: string): Promise<Array<[string, string | Buffer, string?]>> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  const parts: Array<[string, string | Buffer, string?]> = [];
  for (const [key, value] of form) {
    parts.push(typeof value === 'string' ? [key, value] : [key, Buffer.from(await value.arrayBuffer()), value.name]);
  }
  return parts;
}

/** Arguments from query string and body, in any of the encodings Slack accepts. */
async function parseArgs(req: IncomingMessage, url: URL, body: Buffer): Promise<Args> {
  const args: Args = Object.fromEntries(url.searchParams);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (body.length === 0) return args;
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SlackApiError('invalid_json');
    return { ...args, ...(parsed as Args) };
  }
  if (type.startsWith('multipart/form-data')) {
    for (const [k, v] of await formParts(body, req.headers['content-type'] ?? '')) args[k] = v;
  } else {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) args[k] = v;
  }
  for (const key of JSON_FIELDS) {
    const v = args[key];
    if (typeof v !== 'string') continue;
    try {
      args[key] = JSON.parse(v);
    } catch {
      throw new SlackApiError(key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments');
    }
  }
  return args;
}

export async function startSlackStandIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const token = opts.token ?? 'xoxb-rewind-standin';
  const users = new Map((opts.users ?? DEFAULT_SLACK_USERS).map((u) => [u.id, u]));
  const allowed = opts.channels ? new Set(opts.channels) : undefined;
  const botUserId = 'U_REWIND';
  const botId = 'B_REWIND';
  const appId = 'A_REWIND';

  const calls: SlackCall[] = [];
  const uploads = new Map<string, SlackUpload>();
  const pendingUploads = new Map<string, { filename: string; length: number }>();
  const channelMessages = new Map<string, SlackMessage>();
  const ephemeralMessages: SlackEphemeral[] = [];
  const waiters = new Set<{
    method: string;
    predicate: (c: SlackCall) => boolean;
    resolve: (c: SlackCall) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
  }>();

  // Slack timestamps are "<unix seconds>.<6 digits>", unique per channel and increasing.
  const startSec = Math.floor(Date.now() / 1000);
  let seq = 0;
  const nextTs = (): string => {
    seq += 100;
    return `${startSec + Math.floor(seq / 1_000_000)}.${String(seq % 1_000_000).padStart(6, '0')}`;
  };
  let fileSeq = 0;
  const nextFileId = (): string => `F${(++fileSeq).toString(36).toUpperCase().padStart(10, '0')}`;

  let baseUrl = '';

  function channelArg(args: Args, key = 'channel'): string {
    const channel = str(args, key);
    if (!channel || (allowed && !allowed.has(channel))) throw new SlackApiError('channel_not_found');
    return channel;
  }

  function blocksArg(args: Args): unknown[] | undefined {
    const blocks = args.blocks;
    if (blocks === undefined) return undefined;
    if (!Array.isArray(blocks)) throw new SlackApiError('invalid_blocks');
    return blocks;
  }

  function messageView(m: SlackMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: botUserId,
      bot_id: botId,
      app_id: appId,
      team: TEAM.id,
      ts: m.ts,
      text: m.text ?? '',
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(m.files ? { files: m.files } : {}),
      ...(m.edited ? { edited: m.edited } : {}),
    };
  }

  function userView(u: SlackUser): Record<string, unknown> {
    const tz = u.tz ?? 'UTC';
    return {
      id: u.id,
      team_id: TEAM.id,
      name: u.name,
      deleted: false,
      real_name: u.realName,
      tz,
      tz_label: tz,
      tz_offset: 0,
      is_bot: false,
      is_admin: false,
      profile: {
        email: u.email,
        real_name: u.realName,
        display_name: u.name,
        real_name_normalized: u.realName,
        display_name_normalized: u.name,
        team: TEAM.id,
      },
    };
  }

  const handlers: Record<string, Handler> = {
    'auth.test': () => ({
      url: `https://${TEAM.domain}.slack.com/`,
      team: TEAM.name,
      user: 'rewind',
      team_id: TEAM.id,
      user_id: botUserId,
      bot_id: botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (args) => {
      const channel = channelArg(args);
      const blocks = blocksArg(args);
      const text = str(args, 'text');
      if (text === undefined && !blocks?.length && args.attachments === undefined) throw new SlackApiError('no_text');
      const threadTs = str(args, 'thread_ts');
      const message: SlackMessage = {
        channel,
        ts: nextTs(),
        ...(text !== undefined ? { text } : {}),
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { threadTs } : {}),
      };
      channelMessages.set(`${channel}/${message.ts}`, message);
      return { channel, ts: message.ts, message: messageView(message) };
    },

    'chat.update': (args) => {
      const channel = channelArg(args);
      const ts = str(args, 'ts');
      if (!ts) throw new SlackApiError('invalid_arguments');
      const message = channelMessages.get(`${channel}/${ts}`);
      if (!message) throw new SlackApiError('message_not_found');
      const blocks = blocksArg(args);
      const text = str(args, 'text');
      if (text === undefined && blocks === undefined && args.attachments === undefined)
        throw new SlackApiError('no_text');
      if (text !== undefined) message.text = text;
      if (blocks !== undefined) message.blocks = blocks;
      message.edited = { user: botUserId, ts: nextTs() };
      return { channel, ts, text: message.text ?? '', message: messageView(message) };
    },

    'chat.postEphemeral': (args) => {
      const channel = channelArg(args);
      const user = str(args, 'user');
      if (!user || !users.has(user)) throw new SlackApiError('user_not_found');
      const blocks = blocksArg(args);
      const text = str(args, 'text');
      if (text === undefined && !blocks?.length && args.attachments === undefined) throw new SlackApiError('no_text');
      const messageTs = nextTs();
      ephemeralMessages.push({
        channel,
        user,
        messageTs,
        ...(text !== undefined ? { text } : {}),
        ...(blocks ? { blocks } : {}),
      });
      return { message_ts: messageTs };
    },

    'chat.getPermalink': (args) => {
      const channel = channelArg(args);
      const ts = str(args, 'message_ts');
      const message = ts ? channelMessages.get(`${channel}/${ts}`) : undefined;
      if (!message) throw new SlackApiError('message_not_found');
      const link =
        `https://${TEAM.domain}.slack.com/archives/` + `${encodeURIComponent(channel)}/p${message.ts.replace('.', '')}`;
      const thread = message.threadTs ? `?thread_ts=${message.threadTs}&cid=${encodeURIComponent(channel)}` : '';
      return { channel, permalink: link + thread };
    },

    'users.info': (args) => {
      const id = str(args, 'user');
      if (!id) throw new SlackApiError('invalid_arguments');
      const user = users.get(id);
      if (!user) throw new SlackApiError('user_not_found');
      return { user: userView(user) };
    },

    'files.getUploadURLExternal': (args) => {
      const filename = str(args, 'filename');
      const length = Number(str(args, 'length'));
      if (!filename || !Number.isInteger(length) || length < 0) throw new SlackApiError('invalid_arguments');
      const fileId = nextFileId();
      pendingUploads.set(fileId, { filename, length });
      return { upload_url: `${baseUrl}/upload/${fileId}`, file_id: fileId };
    },

    'files.completeUploadExternal': (args) => {
      const files = args.files;
      if (!Array.isArray(files) || files.length === 0) throw new SlackApiError('invalid_arguments');
      const refs = files.map((f: unknown) => {
        const ref = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
        const id = typeof ref.id === 'string' ? ref.id : '';
        // Registered but never uploaded looks the same to Slack as an unknown id.
        const upload = uploads.get(id);
        if (!upload) throw new SlackApiError('file_not_found');
        return { id, upload, title: typeof ref.title === 'string' && ref.title !== '' ? ref.title : upload.filename };
      });
      const channel = args.channel_id === undefined ? undefined : channelArg(args, 'channel_id');
      const initialComment = str(args, 'initial_comment');
      for (const { upload, title } of refs) {
        upload.title = title;
        upload.completed = true;
        if (channel) upload.channel = channel;
        if (initialComment) upload.initialComment = initialComment;
      }
      if (channel) {
        const threadTs = str(args, 'thread_ts');
        const share: SlackMessage = {
          channel,
          ts: nextTs(),
          text: initialComment ?? '',
          files: refs.map(({ id, title }) => ({ id, title })),
          ...(threadTs ? { threadTs } : {}),
        };
        channelMessages.set(`${channel}/${share.ts}`, share);
      }
      return {
        files: refs.map(({ id, upload, title }) => ({
          id,
          title,
          name: upload.filename,
          size: upload.bytes.length,
          user: botUserId,
          permalink: `https://${TEAM.domain}.slack.com/files/${botUserId}/${id}/${encodeURIComponent(upload.filename)}`,
        })),
      };
    },
  };

  function record(call: SlackCall): void {
    calls.push(call);
    for (const w of waiters) {
      if (w.method === call.method && w.predicate(call)) {
        clearTimeout(w.timer);
        waiters.delete(w);
        w.resolve(call);
      }
    }
  }

  function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const at = Date.now();
    let args: Args = {};
    let result: Record<string, unknown>;
    try {
      args = await parseArgs(req, url, await readBody(req, MAX_BODY));
      const auth = req.headers.authorization;
      const presented = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : str(args, 'token');
      delete args.token;
      const handler = handlers[method];
      if (!handler) throw new SlackApiError('unknown_method');
      if (!presented) throw new SlackApiError('not_authed');
      if (presented !== token) throw new SlackApiError('invalid_auth');
      result = { ok: true, ...handler(args) };
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      result = { ok: false, error: err.code, ...(err.code === 'unknown_method' ? { req_method: method } : {}) };
    }
    delete args.token;
    record({
      method,
      args,
      at,
      ok: result.ok === true,
      ...(result.ok === true ? {} : { error: String(result.error) }),
    });
    send(res, 200, result);
  }

  // Upload URLs are pre-signed in Slack: no token needed, bytes as a raw body or a multipart part.
  async function handleUpload(req: IncomingMessage, res: ServerResponse, fileId: string): Promise<void> {
    const pending = pendingUploads.get(fileId);
    const body = await readBody(req, MAX_BODY);
    if (!pending || req.method !== 'POST') {
      send(res, 404, 'Not Found', 'text/plain');
      return;
    }
    const type = req.headers['content-type'] ?? '';
    let bytes = body;
    if (type.toLowerCase().startsWith('multipart/form-data')) {
      const file = (await formParts(body, type)).find(([, v]) => Buffer.isBuffer(v));
      if (!file) {
        send(res, 400, 'no file part', 'text/plain');
        return;
      }
      bytes = file[1] as Buffer;
    }
    pendingUploads.delete(fileId);
    uploads.set(fileId, { filename: pending.filename, bytes, completed: false });
    send(res, 200, `OK - ${bytes.length}`, 'text/plain');
  }

  let down: SlackOutageMode | undefined;
  const unanswered: Array<{ path: string; at: number }> = [];
  const hung = new Set<IncomingMessage>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (down === 'hang') {
      // Read the request, answer nothing: the client's own timeout is all that ends it.
      unanswered.push({ path: url.pathname, at: Date.now() });
      hung.add(req);
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      req.resume();
      req.socket.once('close', () => hung.delete(req));
      return;
    }
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const upload = /^\/upload\/([A-Z0-9]+)$/.exec(url.pathname);
    const work = api?.[1]
      ? handleApi(req, res, url, api[1])
      : upload?.[1]
        ? handleUpload(req, res, upload[1])
        : Promise.resolve(send(res, 404, { ok: false, error: 'unknown_method' }));
    work.catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, {
          ok: false,
          error: 'internal_error',
          detail: err instanceof Error ? err.message : String(err),
        });
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const cutHung = () => {
    for (const req of hung) req.socket.destroy();
    hung.clear();
  };
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${baseUrl}/api/`,
    token,
    botId,
    botUserId,
    calls,
    uploads,
    messages(channel) {
      const all = [...channelMessages.values()].sort((a, b) => Number(a.ts) - Number(b.ts) || a.ts.localeCompare(b.ts));
      return (channel ? all.filter((m) => m.channel === channel) : all).map((m) => ({ ...m }));
    },
    ephemerals(user) {
      return ephemeralMessages.filter((e) => !user || e.user === user).map((e) => ({ ...e }));
    },
    waitForCall(method, predicate, timeoutMs = 5000) {
      const filtered = predicate !== undefined;
      const matches = predicate ?? (() => true);
      const existing = calls.find((c) => c.method === method && matches(c));
      if (existing) return Promise.resolve(existing);
      return new Promise<SlackCall>((resolve, reject) => {
        const waiter = {
          method,
          predicate: matches,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            const seen = calls.map((c) => `${c.method}${c.ok ? '' : `(${c.error})`}`).join(', ') || 'none';
            reject(
              new Error(
                `Slack stand-in: no ${method} call${filtered ? ' matching the predicate' : ''}` +
                  ` within ${timeoutMs} ms; calls so far: ${seen}`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    get down() {
      return down;
    },
    unanswered,
    async stopApi({ mode = 'refuse' } = {}) {
      if (down === 'hang') cutHung();
      down = mode;
      if (mode === 'refuse' && server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      }
      // Requests on new and on kept-alive connections alike hang from now on.
      if (mode === 'hang' && !server.listening) await listen(port);
    },
    async startApi() {
      if (down === undefined) return;
      const was = down;
      down = undefined;
      if (was === 'hang') cutHung();
      if (!server.listening) await listen(port);
    },
    async stop() {
      down = undefined;
      cutHung();
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(`Slack stand-in stopped while waiting for ${w.method}`));
      }
      waiters.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
