import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/app/cli/program.js';
import { exitCodeFor } from '../../../src/app/cli/io.js';
import { pauseTableLines } from '../../../src/app/cli/commands/pauses.js';
import { CONFIG_YAML } from '../slack/config-fixture.js';

/** Runs the CLI in-process; refusals here happen before any Temporal connection (port 1 would fail loudly). */
async function cli(...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await runCli(['node', 'rewind', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('rewind CLI, refusals before Temporal', () => {
  let dir: string;
  const saved = { ...process.env };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-cli-unit-'));
    await writeFile(path.join(dir, 'rewind.yaml'), `temporal: { address: "127.0.0.1:1" }\n${CONFIG_YAML}`);
    process.env.REWIND_CONFIG = path.join(dir, 'rewind.yaml');
    delete process.env.REWIND_USER;
  });
  after(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('an unknown --as is refused with exit 1 and the fix on stderr', async () => {
    const r = await cli('rollback', 'users-api', '--env', 'prod', '--reason', 'x', '--as', 'eve');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /"eve" is not a person in rewind\.yaml; add them under people:/);
  });

  it('missing required options and unknown flags exit 1', async () => {
    assert.equal((await cli('rollback', 'users-api', '--reason', 'x')).code, 1);
    const r = await cli('rollback', 'users-api', '--env', 'prod', '--reason', 'x', '--force');
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown option '--force'/);
  });

  it('a missing config file names the file and the fix', async () => {
    process.env.REWIND_CONFIG = path.join(dir, 'absent.yaml');
    try {
      const r = await cli('status');
      assert.equal(r.code, 1);
      assert.match(r.err, /absent\.yaml.*cannot read the file.*REWIND_CONFIG/);
    } finally {
      process.env.REWIND_CONFIG = path.join(dir, 'rewind.yaml');
    }
  });

  it('maps run phases to exit codes', () => {
    assert.equal(exitCodeFor('restored'), 0);
    assert.equal(exitCodeFor('resolved'), 0);
    assert.equal(exitCodeFor('not-restored'), 2);
    assert.equal(exitCodeFor('held-paused'), 2);
    for (const p of ['failed', 'cancelled', 'rejected', 'expired', 'abandoned'] as const)
      assert.equal(exitCodeFor(p), 1);
  });

  it('emergency: a change rewind cannot read, or none, is refused with exit 1 before Temporal', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--change', 'configmap/users-api-env LOG_LEVEL'],
        /"LOG_LEVEL" is not KEY=VALUE\. Forms: "configmap\/NAME KEY=VALUE"/,
      ],
      [['--change', 'configmap/users-api-env A=b', '--change', 'pod/x a=b'], /unknown kind "pod"/],
      [[], /say what to change live: --change "configmap\/NAME KEY=VALUE"/],
      [['--change', 'configmap/users-api-env A=b', '--env', 'qa'], /app "users-api" has no environment "qa"/],
      [
        ['--change', 'configmap/users-api-env A=b', '--git-file', 'apps/x.yaml', '--git-base'],
        /give --git-file and --git-path together/,
      ],
      [
        [
          '--change',
          'configmap/users-api-env A=b',
          '--change',
          'configmap/users-api-env B=c',
          '--git-file',
          'apps/x.yaml',
          '--git-path',
          'data.A',
        ],
        /exactly one --change/,
      ],
      [['--change', 'configmap/users-api-env A', '--git-base'], /"A" is not KEY=VALUE/],
    ];
    for (const [flags, why] of cases) {
      const r = await cli('emergency', 'users-api', '--env', 'prod', '--reason', 'x', '--as', 'alice', ...flags);
      assert.equal(r.code, 1, flags.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, why);
      assert.doesNotMatch(r.err, /cannot reach Temporal/, 'refused before connecting');
    }
  });

  it('abandon without --confirm is refused with exit 1, saying what abandon does', async () => {
    const r = await cli('abandon', 'users-api', '--env', 'prod', '--as', 'alice');
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /abandon resumes auto-sync of users-api\/prod now and lets Git win: the engine undoes the live change/,
    );
    assert.match(r.err, /rewind abandon users-api --env prod --confirm/);
    assert.match(r.err, /rewind resolve users-api --env prod/);
  });
});

describe('rewind pauses table', () => {
  it('says so when nothing is paused', () => {
    assert.deepEqual(pauseTableLines([]), ['No app has auto-sync paused.']);
  });

  it('one aligned row per pause, leases spelled out, missing and expired leases flagged', () => {
    const lines = pauseTableLines([
      {
        app: 'users-api',
        env: 'prod',
        engine: 'argocd argocd/users-api-prod',
        lease: {
          by: 'alice',
          reason: 'primary failover',
          incidentId: 'INC-7',
          runId: 'r',
          pausedAt: '2026-01-01T10:00:00Z',
          expiresAt: '2026-01-01T14:00:00Z',
        },
      },
      { app: 'users-api', env: 'dev', engine: 'argocd argocd/users-api-dev', flag: 'no-lease' },
      {
        app: 'billing-worker',
        env: 'prod',
        engine: 'flux flux-system/billing-worker-prod',
        flag: 'lease-expired',
        lease: {
          by: 'bob',
          reason: 'broker',
          runId: 'r',
          pausedAt: '2026-01-01T08:00:00Z',
          expiresAt: '2026-01-01T09:00:00Z',
        },
      },
    ]);
    assert.match(lines[0]!, /^APP\/ENV\s+ENGINE\s+WHO\s+SINCE\s+REASON\s+INCIDENT\s+EXPIRES\s+FLAG$/);
    assert.match(
      lines[1]!,
      /^users-api\/prod\s+argocd argocd\/users-api-prod\s+alice\s+2026-01-01T10:00:00Z\s+primary failover\s+INC-7\s+2026-01-01T14:00:00Z\s+-$/,
    );
    assert.match(lines[2]!, /NO LEASE: paused by hand or a run was terminated$/);
    assert.match(lines[3]!, /bob .* LEASE EXPIRED$/);
    assert.equal(
      new Set(
        lines.map((l) => l.indexOf(l.includes('ENGINE') ? 'ENGINE' : l.includes('argocd ') ? 'argocd ' : 'flux ')),
      ).size,
      1,
      'columns line up',
    );
  });
});
