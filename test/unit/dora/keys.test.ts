import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportDora } from '../../../src/lib/dora/export.js';
import { doraReport, percentile } from '../../../src/lib/dora/keys.js';
import type { ConfigChange, DoraInput, EngineDeployment, RestoreRun } from '../../../src/lib/dora/model.js';

const sha = (c: string) => c.repeat(40);
const MIN = 60_000,
  HOUR = 60 * MIN;

const promo = (c: string, at: string): ConfigChange => ({
  sha: sha(c),
  at,
  author: 'Dana <dana@example.com>',
  subject: `promote ${c}`,
  kind: 'promotion',
});
const flux = (rev: string, at: string | undefined, includes: string[], healthy = true): EngineDeployment => ({
  revision: sha(rev),
  ...(at ? { at, healthy } : {}),
  source: at ? 'flux status.history' : 'engine current revision',
  includes: includes.map(sha),
});
const run = (o: Partial<RestoreRun> & Pick<RestoreRun, 'runbook' | 'phase' | 'startedAt'>): RestoreRun => ({
  workflowId: 'rewind/users-api/prod',
  runId: `run-${o.startedAt}`,
  ...o,
});

/**
 * A week of users-api/prod, written out by hand: every expected number below is counted from this
 * story, not from the code under test.
 */
const week: DoraInput = {
  app: 'users-api',
  env: 'prod',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-11-08T00:00:00.000Z',
  failureWindowMs: 24 * HOUR,
  changes: [
    promo('0', '2026-10-31T10:00:00.000Z'), // before the window
    promo('a', '2026-11-01T10:00:00.000Z'), // deployed 4m later
    promo('b', '2026-11-02T09:00:00.000Z'), // deployed 10m later, rolled back by rewind at 12:00
    {
      sha: sha('9'),
      at: '2026-11-02T12:01:00.000Z',
      author: 'rewind',
      subject: 'Revert "promote b"',
      kind: 'rewind',
      reverts: sha('b'),
    },
    promo('c', '2026-11-03T08:00:00.000Z'), // deployed together with d at 08:31
    promo('d', '2026-11-03T08:30:00.000Z'),
    promo('e', '2026-11-04T10:00:00.000Z'), // applied, health checks failed; a person reverted it
    {
      sha: sha('f'),
      at: '2026-11-04T10:30:00.000Z',
      author: 'Sam <sam@example.com>',
      subject: 'Revert "promote e"',
      kind: 'revert',
      reverts: sha('e'),
    },
    promo('7', '2026-11-05T10:00:00.000Z'), // live now, its deployment time no longer recorded
    promo('8', '2026-11-06T10:00:00.000Z'), // committed, never deployed
  ],
  deployments: [
    flux('a', '2026-11-01T10:04:00.000Z', ['a', '0']),
    flux('b', '2026-11-02T09:10:00.000Z', ['b', 'a', '0']),
    flux('d', '2026-11-03T08:31:00.000Z', ['d', 'c', 'b', 'a', '0']),
    flux('e', '2026-11-04T10:03:00.000Z', ['e', 'd', 'c', 'b', 'a', '0'], false),
    flux('7', undefined, ['7', 'f', 'e', 'd', 'c', 'b', 'a', '0']),
  ],
  runs: [
    run({ runbook: 'rollback', phase: 'rejected', startedAt: '2026-11-01T11:00:00.000Z', promotion: sha('a') }),
    run({
      runbook: 'rollback',
      phase: 'restored',
      startedAt: '2026-11-02T12:00:00.000Z',
      detectedAt: '2026-11-02T11:55:00.000Z',
      restoredAt: '2026-11-02T12:05:00.000Z',
      promotion: sha('b'),
      commit: sha('9'),
    }),
    // 26 hours after 7 was committed (its live-from time, as its deployment is unrecorded): outside the window.
    run({
      runbook: 'emergency',
      phase: 'restored',
      startedAt: '2026-11-06T12:00:00.000Z',
      restoredAt: '2026-11-06T12:20:00.000Z',
    }),
  ],
};

describe('DORA keys', () => {
  it('counts a known week exactly: deployments, lead times, failures and restores', () => {
    const r = doraReport(week);
    const k = r.keys;
    assert.deepEqual(k.deploymentFrequency, { deployed: 6, days: 7, perDay: 6 / 7, perWeek: 6 });
    assert.deepEqual(k.leadTime, { count: 4, medianMs: 4 * MIN, p90Ms: 31 * MIN, untimed: 2 });
    assert.deepEqual(k.changeFailureRate, { failed: 2, deployed: 6, rate: 2 / 6 });
    assert.deepEqual(k.timeToRestore, { count: 2, medianMs: 10 * MIN, p90Ms: 20 * MIN, notRestored: 0, open: 0 });

    const row = (c: string) => r.promotions.find((p) => p.sha === sha(c))!;
    assert.deepEqual(
      r.promotions.map((p) => p.sha[0]),
      ['a', 'b', 'c', 'd', 'e', '7', '8'],
    );
    assert.equal(row('c').leadTimeMs, 31 * MIN);
    assert.equal(row('c').revision, sha('d'));
    assert.deepEqual(row('b').failure, {
      by: 'rollback run',
      ref: 'rewind/users-api/prod (run run-2026-11-02T12:00:00.000Z)',
      at: '2026-11-02T12:00:00.000Z',
    });
    assert.deepEqual(row('e').failure, { by: 'revert', ref: sha('f'), at: '2026-11-04T10:30:00.000Z' });
    assert.equal(row('e').unhealthy, true);
    assert.equal(row('7').deployedUntimed, true);
    assert.equal(row('7').failure, undefined);
    assert.equal(row('8').revision, undefined);
    assert.equal(row('a').failure, undefined, 'a rejected rollback never acted');

    assert.deepEqual(
      r.restores.map((x) => [x.runbook, x.fromKind, x.from, x.timeToRestoreMs]),
      [
        ['rollback', 'detected', '2026-11-02T11:55:00.000Z', 10 * MIN],
        ['emergency', 'requested', '2026-11-06T12:00:00.000Z', 20 * MIN],
      ],
    );
    assert.deepEqual(r.notes, [
      "2 deployed promotion(s) have no lead time: the engine's history no longer holds when they were applied, " +
        'or their health checks failed',
      '1 promotion(s) committed in the window are not deployed',
    ]);
  });

  it('an emergency run inside the failure window fails the promotion that was live', () => {
    const r = doraReport({
      ...week,
      runs: [
        run({
          runbook: 'emergency',
          phase: 'restored',
          startedAt: '2026-11-03T09:00:00.000Z',
          restoredAt: '2026-11-03T09:12:00.000Z',
        }),
      ],
    });
    // c and d went live together at 08:31; d is the newer promotion in production.
    assert.equal(r.promotions.find((p) => p.sha === sha('d'))!.failure?.by, 'emergency run');
    assert.equal(r.promotions.find((p) => p.sha === sha('c'))!.failure, undefined);
  });

  it('a rollback that starts while the engine is still finishing the bad sync counts against it', () => {
    const r = doraReport({
      ...week,
      runs: [
        run({
          runbook: 'rollback',
          phase: 'restored',
          // b was committed at 09:00 and its sync recorded at 09:10.
          startedAt: '2026-11-02T09:08:00.000Z',
          restoredAt: '2026-11-02T09:15:00.000Z',
          promotion: sha('b'),
        }),
      ],
    });
    assert.equal(r.promotions.find((p) => p.sha === sha('b'))!.failure?.by, 'rollback run');
  });

  it('a revision after the revert of a promotion descends from it but does not deploy it', () => {
    const r = doraReport({
      ...week,
      changes: [
        promo('a', '2026-11-01T10:00:00.000Z'),
        promo('b', '2026-11-01T10:05:00.000Z'),
        {
          sha: sha('9'),
          at: '2026-11-01T10:09:00.000Z',
          author: 'rewind',
          subject: 'Revert "promote b"',
          kind: 'rewind',
          reverts: sha('b'),
        },
      ],
      deployments: [
        // b applied, its health checks failed; the revert brought a's content back under a's record,
        // whose time (Flux keys history by content) is in the same second as b's commit.
        flux('b', '2026-11-01T10:05:30.000Z', ['b', 'a'], false),
        flux('9', '2026-11-01T10:05:00.000Z', ['9', 'b', 'a']),
      ],
      runs: [],
    });
    const b = r.promotions.find((p) => p.sha === sha('b'))!;
    assert.equal(b.unhealthy, true);
    assert.equal(b.leadTimeMs, undefined);
    assert.equal(r.promotions.find((p) => p.sha === sha('a'))!.leadTimeMs, 5 * MIN);
  });

  it('a run still going is open, one that ended without restoring is not restored', () => {
    const r = doraReport({
      ...week,
      runs: [
        run({
          runbook: 'rollback',
          phase: 'awaiting-approval',
          startedAt: '2026-11-05T11:00:00.000Z',
          promotion: sha('7'),
        }),
        run({ runbook: 'rollback', phase: 'not-restored', startedAt: '2026-11-02T12:00:00.000Z', promotion: sha('b') }),
      ],
    });
    assert.deepEqual(r.keys.timeToRestore, { count: 0, notRestored: 1, open: 1 });
    assert.equal(r.promotions.find((p) => p.sha === sha('b'))!.failure?.by, 'rollback run', 'it still acted on b');
    assert.match(exportDora([r], 'md'), /\| Time to restore \| —; 1 not restored; 1 still open \|/);
  });

  it('never dates a commit by an engine record older than the commit (Flux keys history by content)', () => {
    const r = doraReport({
      ...week,
      changes: [promo('a', '2026-11-01T10:00:00.000Z')],
      // A revert brought back content first applied before a was committed.
      deployments: [flux('9', '2026-11-01T09:00:00.000Z', ['9', 'a'])],
      runs: [],
    });
    assert.equal(r.promotions[0]!.leadTimeMs, undefined);
    assert.equal(r.keys.leadTime.untimed, 1);
  });

  it('says what Argo CD does not record', () => {
    const r = doraReport({
      ...week,
      deployments: [
        { revision: sha('a'), at: '2026-11-01T10:02:00.000Z', source: 'argocd status.history', includes: [sha('a')] },
      ],
    });
    assert.equal(r.promotions.find((p) => p.sha === sha('a'))!.leadTimeMs, 2 * MIN);
    assert.match(r.notes.join('\n'), /Argo CD records when a sync finished, not when health came back/);
  });

  it('percentiles are nearest-rank: always a measured value', () => {
    assert.equal(percentile([], 0.5), undefined);
    assert.equal(percentile([5], 0.9), 5);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
  });

  it('exports what a reviewer reads: the keys, the commits and the runs behind them', () => {
    const r = doraReport(week);
    const md = exportDora([r], 'md');
    assert.match(md, /^# DORA keys\n\n## users-api\/prod\n/);
    assert.match(md, /\| Deployment frequency \| 6 in 7 days \(6\/week\) \|/);
    assert.match(md, /\| Lead time for changes \| median 4m 00s, p90 31m 00s \(4\); 2 without a recorded time \|/);
    assert.match(md, /\| Change failure rate \| 33\.3% \(2 of 6\) \|/);
    assert.match(md, /\| Time to restore \| median 10m 00s, p90 20m 00s \(2\) \|/);
    assert.match(md, /\| `bbbbbbb` \| promote b \| .* \| 10m 00s \| rollback run rewind\/users-api\/prod/);
    assert.match(
      md,
      /\| `eeeeeee` \| promote e \| .* \| applied, health checks failed \(flux status.history at eeeeeee\) \|/,
    );
    const json = JSON.parse(exportDora([r], 'json'));
    assert.equal(json.schema, 'rewind.dev/dora/v1');
    assert.equal(json.reports[0].keys.changeFailureRate.failed, 2);
    const svg = exportDora([r], 'svg');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<circle /g) ?? []).length, 7, 'one mark per promotion');
    assert.equal((svg.match(/fill="#dc2626"/g) ?? []).length, 2, 'the two failed promotions are red');
  });
});
