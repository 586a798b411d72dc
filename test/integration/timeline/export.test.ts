/**
 * The post-incident timeline end to end on one real world (Temporal dev server + worker,
 * kube-apiserver with the sandbox controller, git over HTTP, the Slack Web API stand-in):
 * a real rollback exported in all three formats, the incident merge with a Kubernetes Warning
 * Event and the config repo's commits, the SVG rendered by headless Chromium, /timeline through
 * the Bolt app, `rewind timeline` as a child process, and, last, the same run rebuilt from its
 * history once the worker has exited.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import { KubeRest } from '../../../src/lib/kube/rest.js';
import { GitSourceCache } from '../../../src/lib/gitops/git-source.js';
import { cacheDir } from '../../../src/lib/tools/binaries.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { createSlackApp, type SlackApp } from '../../../src/app/slack/app.js';
import {
  exportTimeline,
  incidentTimelineDocument,
  readRun,
  runTimelineDocument,
  validateTimelineDocument,
  type TimelineDocument,
} from '../../../src/lib/timeline/index.js';
import { assembleDocument } from '../../../src/lib/timeline/assemble.js';
import type { RunTimeline, TimelineEntry } from '../../../src/lib/timeline/model.js';
import type { RunStatus } from '../../../workflows/types.js';
import { findAll, hasClass, markdownTables, parseXml } from '../../unit/timeline/xml.js';
import { argoApp } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start } from '../../support/world-runs.js';
import { postToSlackApp, ResponseCatcher, signature, SIGNING_SECRET } from '../slack/slack-requests.js';
import { decodePng, nonWhitePixels } from './png.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = process.env.REWIND_CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHA40 = /^[0-9a-f]{40}$/;

let world: World;
let worker: Worker;
let sources: GitSourceCache;
let staging: { workflowId: string; runId: string; result: RunStatus; detectedAt: string };
let queryDoc: TimelineDocument;

const shasIn = (events: TimelineEntry[]) =>
  new Set(
    events
      .filter((e) => e.source === 'run')
      .flatMap((e) => Object.values(e.evidence ?? {}))
      .filter((v): v is string => typeof v === 'string' && SHA40.test(v)),
  );

async function healthy(name: string) {
  return waitFor(
    `${name} Healthy`,
    async () => ((await argoApp(world.kube.kc, name)).status?.health?.status === 'Healthy' ? true : undefined),
    90_000,
  );
}

describe('post-incident timeline', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', health: { window: '2s', timeout: '75s' } });
    worker = await world.startWorker();
    sources = new GitSourceCache(path.join(world.dir, 'timeline-cache'));
    await Promise.all(['users-api-dev', 'users-api-staging'].map(healthy));
  });
  after(async () => {
    // /timeline and `rewind timeline` mirror into the default cache; drop this world's mirror.
    if (world) {
      const mirror = new GitSourceCache(path.join(cacheDir(), 'timeline')).get(world.repoUrl);
      await Promise.all([mirror.mirrorDir, mirror.treesDir].map((d) => rm(d, { recursive: true, force: true })));
    }
    await world?.stop();
  });

  it('exports a real staging rollback as Markdown, JSON and SVG from its queries', async () => {
    const detectedAt = new Date(Date.now() - 1000).toISOString();
    await world.repo.promote('users-api', 'staging', '1.43.0');
    const run = await start(world, {
      app: 'users-api',
      env: 'staging',
      as: 'alice',
      reason: 'crash loop after 1.43.0 | pager',
      incidentId: 'INC-900',
    });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    staging = { workflowId: run.workflowId, runId: run.runId, result, detectedAt };

    const doc = await runTimelineDocument({ rw: world.rewind(), sources }, run.workflowId, run.runId, {
      source: 'query',
      detectedAt,
    });
    queryDoc = doc;
    assert.equal(doc.runs.length, 1);
    const r = doc.runs[0]!;
    assert.deepEqual(
      [r.source, r.outcome, r.requester, r.incidentId, r.revertSha],
      ['query', 'restored', 'alice', 'INC-900', result.revertSha],
    );

    // Phases: present, in time order, detected first, resolved last; durations measured and positive.
    const reached = doc.phases.filter((p) => p.state === 'reached');
    assert.deepEqual(reached.map((p) => p.key).sort(), [
      'acknowledged',
      'detected',
      'git-converged',
      'mitigated',
      'resolved',
    ]);
    assert.equal(reached[0]!.key, 'detected');
    assert.equal(reached.at(-1)!.key, 'resolved');
    for (let i = 1; i < reached.length; i++)
      assert.ok(Date.parse(reached[i]!.at!) >= Date.parse(reached[i - 1]!.at!), 'phases in time order');
    assert.equal(
      doc.phases.find((p) => p.key === 'auto-sync-restored')!.state,
      'not-applicable',
      'a rollback never pauses auto-sync',
    );
    const healthyAt = doc.events.find((e) => e.step === 'verify-health' && e.evidence?.healthyAt)!.evidence!.healthyAt;
    assert.equal(doc.phases.find((p) => p.key === 'mitigated')!.at, healthyAt);
    for (const k of ['timeToAcknowledgeMs', 'timeToMitigateMs', 'timeToGitConvergedMs', 'timeToRestoreMs'] as const)
      assert.ok(doc.durations[k]! > 0, `${k} > 0`);
    assert.ok(doc.durations.timeToRestoreMs! >= doc.durations.timeToMitigateMs!);

    // Context: the bad promotion and the revert are commits to the app's paths.
    const commits = doc.events.filter((e) => e.kind === 'commit');
    const [head] = await gitLog(world, 1);
    const revertCommit = commits.find((c) => c.evidence?.sha === result.revertSha);
    assert.ok(revertCommit, `revert commit among ${commits.map((c) => c.summary).join(', ')}`);
    assert.equal(revertCommit.evidence?.author, head!.author);
    assert.match(String(revertCommit.evidence?.rewindRun), /^rewind\/users-api\/staging\//);
    assert.ok(commits.some((c) => /promote users-api 1\.43\.0 to staging/.test(c.summary) && c.actor === 'ci-bot'));

    const md = exportTimeline(doc, 'md');
    assert.match(md, /^# rollback of users-api\/staging \(incident INC-900\)/);
    assert.ok(md.includes(result.revertSha!), 'the revert sha');
    assert.ok(md.includes('Alice Ops &lt;alice@acme.test&gt;'), 'the revert author');
    assert.match(md, /crash loop after 1\.43\.0 \\\| pager/, 'a pipe in the reason is escaped');
    const tables = markdownTables(md);
    assert.equal(tables.length, 3);
    for (const t of tables)
      for (const row of t) assert.equal(row.length, t[0]!.length, `well-formed row: ${row.join(' | ')}`);
    const timeline = tables[2]!;
    assert.deepEqual(timeline[0], ['Time (UTC)', 'Source', 'Run', 'Step', 'Actor', 'Event', 'Evidence']);
    assert.equal(timeline.length - 2, doc.events.length, 'one row per event');
    assert.ok(
      timeline.slice(2).every((row) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(row[0]!)),
      'UTC times',
    );
    assert.ok(timeline.some((row) => row[4] === 'alice') && timeline.some((row) => row[4] === 'rewind'), 'actors');
    assert.match(
      md,
      /\[Slack message\]\(https:\/\/acme\.slack\.com\/archives\/C_USERS_API\/p\d+\)/,
      'the Slack permalink',
    );

    const json = JSON.parse(exportTimeline(doc, 'json'));
    const v = validateTimelineDocument(json);
    assert.ok(v.ok, v.ok ? '' : v.issues.join('\n'));

    const svg = parseXml(exportTimeline(doc, 'svg'));
    assert.equal(svg.attrs.width, '1200');
    assert.equal(findAll(svg, hasClass('phase-bar')).length, reached.length);
    assert.equal(findAll(svg, hasClass('event-mark')).length, doc.events.length);
    assert.ok(findAll(svg, hasClass('tick-label')).length >= 3, 'labelled ticks');
    assert.ok(
      findAll(svg, (e) => e.name === 'text' && /Git converged/.test(e.text)).length > 0,
      'phase bars are labelled',
    );
  });

  it('merges an incident: every tagged run, the Warning Event of the Deployment, the commits', async () => {
    const rw = world.rewind();
    // A second run in the same incident, in dev.
    await world.repo.promote('users-api', 'dev', '1.43.0');
    const dev = await start(world, {
      app: 'users-api',
      env: 'dev',
      as: 'carol',
      reason: 'same crash in dev',
      incidentId: 'INC-900',
    });
    assert.equal(((await dev.handle.result()) as RunStatus).phase, 'restored');

    // The kubelet would have reported the crash loop before anyone acted.
    // Event times (firstTimestamp) have second precision.
    const warnAt = new Date(Math.floor(Date.parse(staging.result.startedAt) / 1000) * 1000 - 20_000).toISOString();
    const rest = await KubeRest.create(world.kube.kc);
    try {
      const event = (name: string, kind: string, obj: string, reason: string) => ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'users-api-staging' },
        involvedObject: { apiVersion: 'apps/v1', kind, namespace: 'users-api-staging', name: obj },
        type: 'Warning',
        reason,
        message: `Back-off restarting failed container ${obj} | <oops>`,
        count: 3,
        firstTimestamp: warnAt,
        lastTimestamp: new Date(Date.parse(warnAt) + 10_000).toISOString(),
        source: { component: 'kubelet' },
      });
      await rest.request('POST', '/api/v1/namespaces/users-api-staging/events', {
        body: event('users-api.crash', 'Deployment', 'users-api', 'BackOff'),
      });
      await rest.request('POST', '/api/v1/namespaces/users-api-staging/events', {
        body: event('other.crash', 'Deployment', 'someone-else', 'Unrelated'),
      });
    } finally {
      rest.close();
    }

    // Visibility is eventually consistent: wait until both runs are listed.
    const doc = await waitFor(
      'both INC-900 runs in visibility',
      async () => {
        const d = await incidentTimelineDocument({ rw, sources }, 'INC-900', { source: 'auto' });
        return d.runs.length === 2 && d.runs.every((r) => r.endedAt) ? d : undefined;
      },
      30_000,
      1000,
    );
    assert.equal(doc.title, 'Incident INC-900: users-api/staging, users-api/dev');
    assert.deepEqual(
      doc.runs.map((r) => `${r.app}/${r.env}`),
      ['users-api/staging', 'users-api/dev'],
    );
    // The real engines and the kubelet stand-in write their own Events too: the injected one is among
    // them, the other object's is not, and detection is the earliest signal.
    const kube = doc.events.filter((e) => e.source === 'kubernetes');
    const injected = kube.find((e) => e.at === warnAt && e.evidence?.reason === 'BackOff' && e.evidence?.count === 3);
    assert.equal(injected?.severity, 'warning', kube.map((e) => e.summary).join(' | '));
    assert.equal(injected?.evidence?.object, 'Deployment/users-api-staging/users-api');
    assert.ok(!kube.some((e) => String(e.evidence?.object).includes('someone-else')), "only the app's objects");
    assert.ok(
      kube.some(
        (e) =>
          e.actor === 'argocd-application-controller' || /Application\/users-api-/.test(String(e.evidence?.object)),
      ),
      'real Argo CD events of the app are merged',
    );
    const detected = doc.phases.find((p) => p.key === 'detected')!;
    assert.ok(detected.at !== undefined && detected.at <= warnAt, `detected ${detected.at} (${detected.basis})`);
    assert.match(detected.basis, /^first (Kubernetes Warning|health degradation): /);
    const resolved = doc.phases.find((p) => p.key === 'resolved')!;
    assert.equal(resolved.at, doc.runs[1]!.endedAt, 'resolved when the last run ended');
    const commits = doc.events.filter((e) => e.kind === 'commit').map((e) => e.summary);
    for (const r of doc.runs)
      assert.ok(
        commits.some((c) => c.startsWith(r.revertSha!.slice(0, 7))),
        `revert of ${r.env} among the commits`,
      );
    assert.ok(
      commits.some((c) => /promote users-api 1\.43\.0 to dev/.test(c)) && commits.some((c) => /to staging/.test(c)),
    );
    assert.ok(
      doc.sources.every((s) => s.ok),
      JSON.stringify(doc.sources),
    );
    const md = exportTimeline(doc, 'md');
    assert.ok(md.includes('&lt;oops&gt;') && !md.includes('<oops>'), 'Kubernetes text is escaped');
    const svg = exportTimeline(doc, 'svg');
    assert.equal(findAll(parseXml(svg), hasClass('event-mark')).length, doc.events.length);
  });

  it('the SVG opens in headless Chromium and renders', {
    skip: existsSync(CHROMIUM)
      ? false
      : `${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run this check`,
  }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rewind-svg-'));
    try {
      const svgPath = path.join(dir, 'timeline.svg'),
        png = path.join(dir, 'shot.png');
      await writeFile(svgPath, exportTimeline(queryDoc, 'svg'));
      const res = spawnSync(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${path.join(dir, 'profile')}`,
          `--screenshot=${png}`,
          '--window-size=1200,800',
          `file://${svgPath}`,
        ],
        { timeout: 90_000, encoding: 'utf8' },
      );
      assert.ok(existsSync(png), `no screenshot; chromium exited ${res.status}: ${res.stderr.slice(-500)}`);
      const pixels = decodePng(await readFile(png));
      assert.deepEqual([pixels.width, pixels.height], [1200, 800]);
      const ink = nonWhitePixels(pixels);
      assert.ok(ink > pixels.width * pixels.height * 0.005, `only ${ink} non-white pixels`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('/timeline through the Bolt app acks at once, then uploads the Markdown and the SVG to the channel', async () => {
    const responses = new ResponseCatcher();
    await responses.start();
    const lines: string[] = [];
    const slack: SlackApp = createSlackApp({
      rewind: world.rewind(),
      signingSecret: SIGNING_SECRET,
      token: world.slack.token,
      botId: world.slack.botId,
      botUserId: world.slack.botUserId,
      slackApiUrl: world.slack.apiUrl,
      logger: pino(
        { level: 'debug' },
        new Writable({
          write(c, _e, cb) {
            lines.push(String(c));
            cb();
          },
        }),
      ),
    });
    const addr = await slack.start(0);
    const url = `http://127.0.0.1:${addr.port}/slack/events`;
    const send = async (text: string, user: string) => {
      const responseUrl = responses.url();
      const body = new URLSearchParams({
        team_id: 'T0ACME',
        team_domain: 'acme',
        channel_id: 'C_INCIDENTS',
        channel_name: 'incidents',
        user_id: user,
        user_name: user,
        command: '/timeline',
        text,
        api_app_id: 'A_REWIND',
        response_url: responseUrl,
        trigger_id: 't1',
      }).toString();
      const ts = Math.floor(Date.now() / 1000);
      return { ...(await postToSlackApp(url, body, { timestamp: ts, signature: signature(body, ts) })), responseUrl };
    };
    try {
      const bad = await send('users-api staging extra', 'U_ALICE');
      assert.equal(bad.status, 200);
      assert.match(bad.json?.text ?? '', /Usage: `\/timeline <incident-id>`/);
      const stranger = await send('INC-900', 'U_NOBODY');
      assert.match(stranger.json?.text ?? '', /not a person in rewind\.yaml/);

      const before = world.slack.uploads.size;
      const ok = await send('INC-900', 'U_ALICE');
      assert.equal(ok.status, 200);
      assert.match(ok.json?.text ?? '', /Building the timeline of incident INC-900/);
      const answer = await responses.next(ok.responseUrl, 120_000);
      assert.match(
        answer.body.text ?? '',
        /Posted the timeline of incident INC-900 \(\d+ events, 2 run\(s\)\) to <#C_INCIDENTS>/,
      );
      const uploads = [...world.slack.uploads.values()].slice(before);
      assert.deepEqual(
        uploads.map((u) => [u.filename, u.channel, u.completed]),
        [
          ['timeline-INC-900.md', 'C_INCIDENTS', true],
          ['timeline-INC-900.svg', 'C_INCIDENTS', true],
        ],
      );
      assert.match(uploads[0]!.bytes.toString('utf8'), /^# Incident INC-900: users-api\/staging, users-api\/dev/);
      assert.equal(parseXml(uploads[1]!.bytes.toString('utf8')).name, 'svg');
      const shared = world.slack.messages('C_INCIDENTS').at(-1)!;
      assert.equal(shared.files?.length, 2);
      assert.match(shared.text ?? '', /asked for by alice/);
      assert.ok(!lines.join('').includes(world.slack.token), 'the bot token is never logged');
    } finally {
      await slack.stop();
      await responses.stop();
    }
  });

  it('`rewind timeline` writes a valid JSON file, and refuses a bad format', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rewind-cli-'));
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/app/cli/main.ts'), ...args], {
          cwd: ROOT,
          env: { ...process.env, REWIND_CONFIG: world.configPath },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '',
          stderr = '';
        child.stdout.on('data', (c: Buffer) => {
          stdout += c;
        });
        child.stderr.on('data', (c: Buffer) => {
          stderr += c;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    try {
      const out = path.join(dir, 'staging.json');
      const r = await cli(
        'timeline',
        'users-api/staging',
        '--run-id',
        staging.runId,
        '--format',
        'json',
        '--out',
        out,
        '--detected-at',
        staging.detectedAt,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /Wrote the json timeline of rollback of users-api\/staging/);
      const doc = JSON.parse(await readFile(out, 'utf8'));
      assert.ok(validateTimelineDocument(doc).ok);
      assert.equal(doc.runs[0].runId, staging.runId);
      const md = await cli('timeline', '--incident', 'INC-900', '--no-kube', '--no-git');
      assert.equal(md.code, 0, md.stderr);
      assert.match(md.stdout, /^# Incident INC-900/);
      const bad = await cli('timeline', 'users-api/staging', '--format', 'pdf');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--format "pdf": use one of md, json, svg/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rebuilds the same run from Temporal history after the worker has exited', async () => {
    worker.shutdown();
    await waitFor('worker stopped', async () => worker.getState() === 'STOPPED', 60_000, 100);
    const rw = world.rewind();
    const handle = rw.client.workflow.getHandle(staging.workflowId, staging.runId);
    const history = await handle.fetchHistory();
    assert.ok((history.events?.length ?? 0) > 20);

    // An ended run returned its own record: no worker needs to answer.
    const auto = await readRun(rw, staging.workflowId, staging.runId, { source: 'auto', queryTimeoutMs: 2000 });
    assert.equal(auto.run.source, 'query', "auto reads the run's own record from the result it ended with");
    assert.ok(
      auto.notes.some((n) => n.kind === 'query' && n.ok && /the status and timeline the run ended with/.test(n.detail)),
      JSON.stringify(auto.notes),
    );
    // Asked for the queries, with no worker to answer them, it says what to do.
    await assert.rejects(
      readRun(rw, staging.workflowId, staging.runId, { source: 'query', queryTimeoutMs: 2000 }),
      /were not answered .*is a worker running\? Try --source history/,
    );

    const rebuilt: RunTimeline = await readRun(rw, staging.workflowId, staging.runId, { source: 'history' });
    const fromQuery = queryDoc;
    const assemble = (run: RunTimeline) =>
      assembleDocument([run], {
        scope: { kind: 'run', workflowId: staging.workflowId, runId: staging.runId },
        detectedAt: staging.detectedAt,
        external: fromQuery.events.filter((e) => e.source !== 'run'),
      });
    const docH = assemble(rebuilt);
    assert.ok(validateTimelineDocument(docH).ok);
    const docR = assemble(auto);
    assert.deepEqual(
      docR.events.map((e) => [e.at, e.source, e.kind, e.summary]),
      fromQuery.events.map((e) => [e.at, e.source, e.kind, e.summary]),
      'the result gives the same events as the queries',
    );
    assert.deepEqual(docR.spans, fromQuery.spans, 'and the same steps');

    const steps = (d: TimelineDocument) => d.spans.map((s) => [s.step, s.kind, s.state, s.start, s.end, s.summary]);
    assert.deepEqual(steps(docH), steps(fromQuery), 'same steps, states and times');
    assert.deepEqual([...shasIn(docH.events)].sort(), [...shasIn(fromQuery.events)].sort(), 'same evidence SHAs');
    assert.ok(shasIn(docH.events).has(staging.result.revertSha!));
    const outcome = (d: TimelineDocument) => {
      const r = d.runs[0]!;
      return [
        r.outcome,
        r.result,
        r.revertSha,
        r.requester,
        r.approvers,
        r.reason,
        r.incidentId,
        r.startedAt,
        r.slackPermalink,
      ];
    };
    assert.deepEqual(outcome(docH), outcome(fromQuery), 'same outcome');
    const stepEvents = (d: TimelineDocument) =>
      d.events.filter((e) => e.source === 'run' && e.kind === 'step').map((e) => [e.step, e.summary, e.evidence]);
    assert.deepEqual(stepEvents(docH), stepEvents(fromQuery), 'same step events and evidence');
    assert.deepEqual(
      docH.phases.map((p) => [p.key, p.state]),
      fromQuery.phases.map((p) => [p.key, p.state]),
      'same phases',
    );
    assert.equal(docH.durations.timeToMitigateMs, fromQuery.durations.timeToMitigateMs);
    // The same exports work on the rebuilt document.
    assert.equal(findAll(parseXml(exportTimeline(docH, 'svg')), hasClass('event-mark')).length, docH.events.length);
  });
});
