/**
 * `rewind dora` against real Argo CD and Flux: a good promotion, a bad one, and a rollback through
 * the CLI, then the keys. Every expected number is read from the raw records (git's commit times,
 * the engine object's status.history, the run's JSON status), never from rewind's code.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleGit } from 'simple-git';
import { restFor } from '../../../src/lib/kube/rest-pool.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoPath, fluxKsPath, refresh, waitApplied } from '../stories/world-steps.js';
import { rewindCli } from './cli-process.js';

let world: World;
const rewind = (...args: string[]) => rewindCli(world, ...args);

interface Keys {
  deploymentFrequency: { deployed: number };
  leadTime: { count: number; medianMs?: number; p90Ms?: number; untimed: number };
  changeFailureRate: { failed: number; deployed: number; rate?: number };
  timeToRestore: { count: number; medianMs?: number; notRestored: number; open: number };
}
interface Row {
  sha: string;
  deployedAt?: string;
  leadTimeMs?: number;
  unhealthy?: boolean;
  deployedUntimed?: boolean;
  failure?: { by: string; ref: string };
}
interface Report {
  app: string;
  env: string;
  keys: Keys;
  promotions: Row[];
  restores: Array<{ runId: string; timeToRestoreMs?: number; promotion?: string; commit?: string }>;
}

const committedAt = async (sha: string) =>
  Date.parse((await simpleGit({ baseDir: world.repo.remote }).raw(['show', '-s', '--format=%cI', sha])).trim());

/** A good promotion, a bad one, both applied; then the CLI rolls the bad one back. */
async function goodBadRollback(app: 'users-api' | 'billing-worker', env: string, good: string, bad: string) {
  const t0 = Date.now();
  const g = await world.repo.promote(app, env, good);
  await refresh(world, app, env);
  await waitApplied(world, app, env, g.sha);
  const b = await world.repo.promote(app, env, bad);
  await refresh(world, app, env);
  await waitApplied(world, app, env, b.sha);
  const r = await rewind('rollback', app, '--env', env, '--reason', `errors after ${bad}`, '--json', '--as', 'alice');
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as RunStatus;
  assert.equal(run.phase, 'restored', run.result);
  // The window starts just before the good promotion (git dates are whole seconds): the world's
  // seed commits, hours old, stay outside it.
  const since = new Date(t0 - 1000).toISOString();
  const out = await rewind('dora', app, '--env', env, '--since', since, '--format', 'json');
  assert.equal(out.code, 0, out.stderr);
  const doc = JSON.parse(out.stdout) as { schema: string; reports: Report[] };
  assert.equal(doc.schema, 'rewind.dev/dora/v1');
  assert.equal(doc.reports.length, 1);
  const md = await rewind('dora', app, '--env', env, '--since', since);
  assert.equal(md.code, 0, md.stderr);
  return { good: g.sha, bad: b.sha, run, report: doc.reports[0]!, md: md.stdout, since };
}

describe('rewind dora on real engines', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', health: { window: '2s', timeout: '90s' } });
    await world.startWorker();
  });
  after(async () => {
    await world?.stop();
  });

  it('refuses an unknown app, environment, window or format before reading anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['users-apii'], /unknown app "users-apii" \(did you mean "users-api"\?\)/],
      [['users-api', '--env', 'qa'], /app "users-api" has no environment "qa"/],
      [['--env', 'qa'], /no app in rewind\.yaml has an environment "qa"/],
      [['users-api', '--since', '5x'], /"5x" is neither a date \(2026-03-01 .*\) nor a duration back from now/],
      [['users-api', '--failure-window', '0s'], /--failure-window "0s" is not a duration such as 24h or 7d/],
      [['users-api', '--format', 'pdf'], /--format "pdf": use one of md, json, svg/],
    ];
    for (const [args, why] of cases) {
      const r = await rewind('dora', ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, why);
    }
  });

  it('Argo CD: lead time ends at the sync Argo CD recorded; the rolled-back promotion is the failure', async () => {
    const { good, bad, run, report, md } = await goodBadRollback('users-api', 'staging', '1.42.1', '1.43.0');
    const rest = await restFor(world.kube.kc);
    const history = (await rest.get<{ status: { history: Array<{ revision: string; deployedAt: string }> } }>(
      argoPath('users-api', 'staging'),
    ))!.status.history;
    const deployedAt = (sha: string) => Date.parse(history.find((h) => h.revision === sha)!.deployedAt);
    const lead = {
      good: deployedAt(good) - (await committedAt(good)),
      bad: deployedAt(bad) - (await committedAt(bad)),
    };

    assert.deepEqual(
      report.promotions.map((p) => [p.sha, p.leadTimeMs]),
      [
        [good, lead.good],
        [bad, lead.bad],
      ],
      'exactly the two promotions of the window, the revert is not one',
    );
    assert.deepEqual(report.keys.deploymentFrequency.deployed, 2);
    assert.deepEqual(report.keys.leadTime, {
      count: 2,
      medianMs: Math.min(lead.good, lead.bad),
      p90Ms: Math.max(lead.good, lead.bad),
      untimed: 0,
    });
    assert.deepEqual(report.keys.changeFailureRate, { failed: 1, deployed: 2, rate: 0.5 });
    const failed = report.promotions.find((p) => p.failure)!;
    assert.equal(failed.sha, bad);
    assert.equal(failed.failure!.by, 'rollback run');
    assert.equal(failed.failure!.ref, `rewind/users-api/staging (run ${run.runId})`);
    const ttr = Date.parse(run.restoredAt!) - Date.parse(run.startedAt);
    assert.deepEqual(report.keys.timeToRestore, { count: 1, medianMs: ttr, p90Ms: ttr, notRestored: 0, open: 0 });
    assert.deepEqual(
      report.restores.map((x) => [x.promotion, x.commit]),
      [[bad, run.revertSha]],
    );

    // What the person reads.
    assert.match(md, /^# DORA keys\n\n## users-api\/staging\n/);
    assert.match(md, /\| Deployment frequency \| 2 in /);
    assert.match(md, /\| Change failure rate \| 50% \(1 of 2\) \|/);
    assert.ok(md.includes(`| \`${bad.slice(0, 7)}\` | promote users-api 1.43.0 to staging |`), md);
    assert.ok(md.includes(`rollback run rewind/users-api/staging (run ${run.runId})`), md);
    assert.match(md, /Argo CD records when a sync finished, not when health came back/);
  });

  it('Flux: lead time from status.history; an SVG card with one mark per promotion', async () => {
    const { good, bad, run, report, since } = await goodBadRollback('billing-worker', 'dev', '2.4.1', '2.5.0');
    const rest = await restFor(world.kube.kc);
    const history = (await rest.get<{
      status: {
        history: Array<{ metadata?: { revision?: string }; firstReconciled: string; lastReconciledStatus: string }>;
      };
    }>(fluxKsPath('billing-worker', 'dev')))!.status.history;
    const entry = (sha: string) => history.find((h) => h.metadata?.revision === `main@sha1:${sha}`);
    const row = (sha: string) => report.promotions.find((p) => p.sha === sha)!;
    assert.deepEqual(
      report.promotions.map((p) => p.sha),
      [good, bad],
    );
    // Flux keys its history by the content it applied: the revert brought the good content back, so
    // that record may now name the revert, and it keeps the time the good content was first applied.
    const goodEntry = entry(good) ?? entry(run.revertSha!);
    assert.ok(goodEntry, JSON.stringify(history));
    assert.equal(goodEntry.lastReconciledStatus, 'ReconciliationSucceeded');
    assert.equal(row(good).leadTimeMs, Date.parse(goodEntry.firstReconciled) - (await committedAt(good)));
    // The bad promotion was applied and failed its health checks: deployed, with no lead time.
    assert.equal(entry(bad)?.lastReconciledStatus, 'HealthCheckFailed', JSON.stringify(history));
    assert.equal(row(bad).unhealthy, true);
    assert.equal(row(bad).leadTimeMs, undefined);
    assert.deepEqual(report.keys.leadTime, {
      count: 1,
      medianMs: row(good).leadTimeMs,
      p90Ms: row(good).leadTimeMs,
      untimed: 1,
    });
    assert.deepEqual(report.keys.changeFailureRate, { failed: 1, deployed: 2, rate: 0.5 });
    assert.equal(row(bad).failure?.ref, `rewind/billing-worker/dev (run ${run.runId})`);

    const file = path.join(world.dir, 'dora.svg');
    const svg = await rewind(
      'dora',
      'billing-worker',
      '--env',
      'dev',
      '--since',
      since,
      '--format',
      'svg',
      '--out',
      file,
    );
    assert.equal(svg.code, 0, svg.stderr);
    assert.match(svg.stderr, /Wrote the DORA keys of 1 app\/env\(s\) to .*dora\.svg/);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((text.match(/<circle /g) ?? []).length, 2);
    assert.ok(text.includes(`${bad.slice(0, 7)} promote billing-worker 2.5.0 to dev: failed: rollback run`));
  });
});
