/**
 * Slack ack latency: correctly signed `/rollback` slash commands over loopback HTTP to the REAL
 * rewind Bolt app (createSlackApp in front of a world: Temporal dev server, worker, kube-apiserver),
 * timed from sending the request to the end of the HTTP response (the ack). Beside it, a bare
 * Bolt app (same @slack/bolt, HTTPReceiver, one `/rollback` listener that acks 'ok') on the same
 * machine with the same requests, so the difference is what rewind adds on the ack path.
 *
 * Requests are answered in the ack (`/rollback help`, an unknown app), so nothing starts. A small
 * extra batch (`/rollback users-api staging …`) does start work: the first starts a real run,
 * repeats are refused by the one-run-per-app lock after a Temporal query; for those the time
 * to the response_url answer is reported too.
 *
 * The load generator runs in a worker thread (its own event loop), sequentially and with a
 * fixed number of requests in flight, over keep-alive connections. The rows take turns in ten
 * rounds, so a burst of background load costs every row alike.
 *
 *   node --import tsx bench/slack-ack.ts [requests=1000] [concurrency=8]
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { createSlackApp, EVENTS_PATH } from '../src/app/slack/app.js';
import { startWorld } from '../src/sandbox/world/index.js';
import { commandBody, nowSeconds, signature, SIGNING_SECRET } from '../test/integration/slack/slack-requests.js';
import { r2, stats, writeResult, type Stats } from './lib.js';

const requests = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 8);
const rounds = 10;
const startBatch = 50;
const warmup = 200;

interface Signed {
  body: string;
  ts: number;
  sig: string;
}
interface Sample {
  ms: number;
  status: number;
  sentAt: number;
}

/** The load generator, as plain JS evaluated in a worker thread: only HTTP, no signing, no TypeScript. */
const LOAD = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { port, path, reqs, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function one(r) {
  return new Promise((resolve, reject) => {
    const sentAt = performance.timeOrigin + performance.now();
    const t = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: {
      'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(r.body),
      'x-slack-request-timestamp': String(r.ts), 'x-slack-signature': r.sig } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ ms: performance.now() - t, status: res.statusCode, sentAt }));
    });
    req.setTimeout(30000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(r.body);
  });
}
(async () => {
  const out = new Array(reqs.length);
  let next = 0;
  async function lane() { while (next < reqs.length) { const i = next++; out[i] = await one(reqs[i]); } }
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  parentPort.postMessage(out);
})().catch((err) => { throw err; });
`;

function drive(port: number, reqs: Signed[], lanes: number): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD, { eval: true, workerData: { port, path: EVENTS_PATH, reqs, concurrency: lanes } });
    w.once('message', (m: Sample[]) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

/** Signed at build time; each batch is built right before it is sent, well inside Slack's 5-minute window. */
function signed(n: number, text: (i: number) => string, userId: string, responseUrl: (i: number) => string): Signed[] {
  const ts = nowSeconds();
  return Array.from({ length: n }, (_, i) => {
    const body = commandBody('/rollback', text(i), userId, responseUrl(i));
    return { body, ts, sig: signature(body, ts) };
  });
}

/** Stands in for Slack's response_url endpoint and notes when each answer arrived. */
async function startCatcher() {
  const arrived = new Map<string, { at: number; text: string }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      let text = '';
      try {
        text = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: string }).text ?? '');
      } catch {
        /* not JSON */
      }
      if (!arrived.has(req.url ?? '')) arrived.set(req.url ?? '', { at, text });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (key: string) => `${base}/respond/${key}`,
    arrived,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const silent = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

function check(label: string, samples: Sample[]): Stats {
  const bad = samples.filter((s) => s.status !== 200).length;
  const st = stats(
    samples.map((s) => s.ms),
    r2,
  );
  console.log(
    `${label.padEnd(34)} p50 ${String(st.p50).padStart(6)}  p90 ${String(st.p90).padStart(6)}  ` +
      `p99 ${String(st.p99).padStart(6)}  max ${String(st.max).padStart(7)}  ` +
      `mean ${String(st.mean).padStart(6)} ms${bad ? `  (${bad} non-200)` : ''}`,
  );
  return st;
}

const world = await startWorld({ temporal: 'dev', health: { window: '2s', timeout: '60s' } });
const catcher = await startCatcher();
let bare: App | undefined;
let real: ReturnType<typeof createSlackApp> | undefined;
try {
  await world.startWorker();
  // The real app as `rewind` runs it: pino at info (LOG_LEVEL's default), written to a sink.
  real = createSlackApp({
    rewind: world.rewind(),
    signingSecret: SIGNING_SECRET,
    token: world.slack.token,
    botId: world.slack.botId,
    botUserId: world.slack.botUserId,
    slackApiUrl: world.slack.apiUrl,
    logger: pino({ level: 'info' }, silent()),
  });
  const realPort = (await real.start(0)).port;

  const bareReceiver = new HTTPReceiver({
    signingSecret: SIGNING_SECRET,
    endpoints: EVENTS_PATH,
    processBeforeResponse: false,
    logLevel: LogLevel.ERROR,
  });
  bare = new App({
    token: world.slack.token,
    botId: world.slack.botId,
    botUserId: world.slack.botUserId,
    receiver: bareReceiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: world.slack.apiUrl, retryConfig: { retries: 0 } },
  });
  bare.command('/rollback', async ({ ack }) => {
    await ack('ok');
  });
  const barePort = ((await bare.start(0)).address() as AddressInfo).port;

  const noUrl = () => catcher.url('unused');
  const help = (n: number) => signed(n, () => 'help', 'U_ALICE', noUrl);
  const unknownApp = (n: number) => signed(n, () => 'payments prod 5xx after deploy', 'U_ALICE', noUrl);

  console.log(`warm-up: ${warmup} requests to each app`);
  await drive(barePort, help(warmup), concurrency);
  await drive(realPort, help(warmup), concurrency);
  await drive(realPort, unknownApp(warmup), concurrency);

  console.log(
    `${requests} requests per row in ${rounds} interleaved ` +
      `rounds; concurrency ${concurrency} keeps that many in flight`,
  );
  const rows = {
    bare: { port: barePort, make: help },
    rewindHelp: { port: realPort, make: help },
    rewindUnknownApp: { port: realPort, make: unknownApp },
  };
  const labels = {
    bare: 'bare Bolt      /rollback',
    rewindHelp: 'rewind Bolt    /rollback help',
    rewindUnknownApp: 'rewind Bolt    unknown app',
  };
  /**
   * Each row's requests are sent in rounds, the rows taking turns within each round, so load from
   * the world beside them (the worker's watches, Temporal) falls on every row alike instead of on
   * whichever row happened to run while it lasted.
   */
  async function interleaved(lanes: number): Promise<Record<keyof typeof rows, Sample[]>> {
    const out = { bare: [] as Sample[], rewindHelp: [] as Sample[], rewindUnknownApp: [] as Sample[] };
    const perRound = Math.ceil(requests / rounds);
    for (let r = 0; r < rounds; r++)
      for (const key of Object.keys(rows) as Array<keyof typeof rows>)
        out[key].push(...(await drive(rows[key].port, rows[key].make(perRound), lanes)));
    return out;
  }
  const sequential = await interleaved(1);
  const loaded = await interleaved(concurrency);
  const results = {
    sequential: Object.fromEntries(
      Object.entries(sequential).map(([k, v]) => [k, check(`${labels[k as keyof typeof rows]} (seq)`, v)]),
    ),
    [`concurrency${concurrency}`]: Object.fromEntries(
      Object.entries(loaded).map(([k, v]) => [k, check(`${labels[k as keyof typeof rows]} (c=${concurrency})`, v)]),
    ),
  };

  // Requests that start work: acked first, then the listener calls Temporal and answers on response_url.
  await world.repo.promote('users-api', 'staging', '1.43.0');
  const startReqs = signed(
    startBatch,
    () => 'users-api staging bench: latency after 1.43.0',
    'U_ALICE',
    (i) => catcher.url(`start-${i}`),
  );
  const startSamples = await drive(realPort, startReqs, 1);
  const startAck = check('rewind Bolt    starting a run (seq)', startSamples);
  const followUps: number[] = [];
  let started = 0,
    busy = 0,
    other = 0;
  const deadline = Date.now() + 60_000;
  while (catcher.arrived.size < startBatch && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  startSamples.forEach((s, i) => {
    const a = catcher.arrived.get(`/respond/start-${i}`);
    if (!a) return;
    followUps.push(a.at - s.sentAt);
    if (/Started run/.test(a.text)) started++;
    else if (/is held by/.test(a.text)) busy++;
    else other++;
  });
  const followUp = stats(followUps, r2);
  console.log(
    `  response_url answer after sending: p50 ${followUp.p50}  p90 ${followUp.p90}  max ${followUp.max} ms; ` +
      `${started} started a run, ${busy} refused as busy, ${other} other, ${startBatch - followUps.length} unanswered`,
  );

  await writeResult('slack-ack', {
    description:
      'Time from sending a signed /rollback slash command over ' +
      'loopback HTTP to the end of the HTTP response (the ack), ' +
      'for the real rewind Bolt app (createSlackApp, pino at info to a ' +
      'sink, in front of a world with a Temporal dev server and a worker) ' +
      'and for a bare Bolt app with one /rollback listener that acks ' +
      '"ok". Load from a worker thread over keep-alive connections; ' +
      "the apps share one Node process with the world's Temporal client and worker.",
    requestsPerRow: requests,
    rounds,
    concurrency,
    warmup,
    unit: 'ms',
    requests: {
      bare: '/rollback help -> ack("ok")',
      rewindHelp: '/rollback help (usage text in the ack)',
      rewindUnknownApp: '/rollback payments prod … (refused in the ack: unknown app)',
    },
    results,
    startingWork: {
      requests: startBatch,
      note:
        'sequential /rollback users-api staging …: acked before rewind calls Temporal; the first starts ' +
        'a real run, repeats are refused by the one-run-per-app lock (a Temporal query names the holder)',
      ack: startAck,
      responseUrlAnswer: followUp,
      outcomes: { started, busy, other, unanswered: startBatch - followUps.length },
    },
  });
} finally {
  await real?.stop().catch(() => undefined);
  await bare?.stop().catch(() => undefined);
  await catcher.stop();
  await world.stop();
}
