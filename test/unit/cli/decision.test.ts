import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { runCli } from '../../../src/app/cli/program.js';
import type { Io } from '../../../src/app/cli/io.js';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import type { RunStatus } from '../../../workflows/types.js';
import { CONFIG_YAML } from '../slack/config-fixture.js';

const RUN_ID = '0196a1b2-0000-7000-8000-00000000c0de';

const waiting: RunStatus = {
  workflowId: 'rewind/users-api/prod',
  runId: RUN_ID,
  runbook: 'rollback',
  app: 'users-api',
  env: 'prod',
  phase: 'awaiting-approval',
  requester: 'alice',
  reason: '5xx after 1.42',
  incidentId: 'INC-7',
  startedAt: '2026-12-01T09:00:00.000Z',
  steps: [],
  approvals: [],
  approvalsNeeded: 1,
  plan: {
    promotion: {
      sha: '3f2a9c1d00000000000000000000000000000000',
      subject: 'promote users-api 1.42.0 to prod',
      author: 'ci-bot',
      images: [{ container: 'users-api', from: '1.41.0', to: '1.42.0' }],
      config: [],
      added: [],
      removed: [],
      otherChanged: [],
    },
    engine: { engine: 'argocd', syncStatus: 'Synced', health: 'Degraded', autoSync: true },
    drift: { real: 0, allowedOnly: 0 },
    warnings: [],
  } as unknown as RunStatus['plan'],
};

/** The CLI in-process over a Temporal client whose run answers `status` and records decisions. */
async function decideCli(status: RunStatus, args: string[], answer?: string) {
  const updates: unknown[] = [];
  const asked: string[] = [];
  const client = {
    workflow: {
      getHandle: () => ({
        query: async () => status,
        executeUpdate: async (_u: unknown, { args: a }: { args: unknown[] }) => {
          updates.push(a[0]);
          return { ...status, approvals: [{ by: 'bob', at: '', decision: 'approve' }], approvalsNeeded: 0 };
        },
      }),
    },
    connection: { close: async () => undefined },
  } as unknown as Client;
  const out: string[] = [],
    err: string[] = [];
  const io: Io = {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    ...(answer !== undefined
      ? {
          ask: async (q: string) => {
            asked.push(q);
            return answer;
          },
        }
      : {}),
  };
  const code = await runCli(['node', 'rewind', ...args], io, async (cfg: RewindConfig) => ({
    rw: { cfg, client, taskQueue: 'unit' },
    close: async () => undefined,
  }));
  return { code, out: out.join('\n'), err: err.join('\n'), updates, asked };
}

describe('rewind approve|reject: shows what is decided, bound to the run id', () => {
  let dir: string;
  const saved = { ...process.env };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-cli-decision-'));
    await writeFile(path.join(dir, 'rewind.yaml'), CONFIG_YAML);
    process.env.REWIND_CONFIG = path.join(dir, 'rewind.yaml');
    delete process.env.REWIND_USER;
  });
  after(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'without a terminal and without --run: prints the ' + 'plan summary and refuses, showing the --run to pass',
    async () => {
      const r = await decideCli(waiting, ['approve', 'users-api', '--env', 'prod', '--as', 'bob']);
      assert.equal(r.code, 1);
      assert.deepEqual(r.updates, [], 'nothing sent');
      assert.match(
        r.out,
        new RegExp(`^Run ${RUN_ID} \\(rewind/users-api/prod\\): rollback of users-api/prod, awaiting-approval$`, 'm'),
      );
      assert.match(r.out, /^ {2}Requested by alice at 2026-12-01T09:00:00\.000Z for incident INC-7: 5xx after 1\.42$/m);
      assert.match(r.out, /^ {2}Plan: revert 3f2a9c1 "promote users-api 1\.42\.0 to prod" by ci-bot$/m);
      assert.match(r.out, /^ {4}image users-api: 1\.41\.0 → 1\.42\.0$/m);
      assert.match(r.out, /^You: bob \(--as bob \(typed; rewind\.yaml allows it with cli\.allowClaimedIdentity\)\)$/m);
      assert.match(
        r.err,
        new RegExp(
          `cannot ask you to confirm here \\(no terminal\\)\\. Check the plan above, ` +
            `then name the run: rewind approve users-api --env prod --run ${RUN_ID}$`,
        ),
      );
    },
  );

  it('--run of the current run sends the decision with that run id and how the person was identified', async () => {
    const r = await decideCli(waiting, [
      'approve',
      'users-api',
      '--env',
      'prod',
      '--as',
      'bob',
      '--run',
      RUN_ID,
      '--comment',
      'plan looks right',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.updates, [
      {
        decision: 'approve',
        by: { handle: 'bob', name: 'Bob Lead', email: 'bob@acme.test', slack: 'U_BOB' },
        runId: RUN_ID,
        via: 'claimed',
        comment: 'plan looks right',
      },
    ]);
    assert.match(r.out, /approved by bob: reverting 3f2a9c1 now \(rewind\/users-api\/prod, requested by alice\)\.$/);
  });

  it('--run of another run is refused before anything is sent, naming the current one', async () => {
    const r = await decideCli(waiting, [
      'reject',
      'users-api',
      '--env',
      'prod',
      '--as',
      'bob',
      '--run',
      'an-older-run',
    ]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.updates, []);
    assert.match(
      r.err,
      new RegExp(
        `--run "an-older-run" is not the run waiting on users-api/prod: that is ` +
          `run ${RUN_ID} \\(shown above, requested by alice\\)\\. If you mean it, check ` +
          `its plan above and run: rewind reject users-api --env prod --run ${RUN_ID}`,
      ),
    );
  });

  it('at a terminal: asks y/N; only yes sends', async () => {
    const no = await decideCli(waiting, ['approve', 'users-api', '--env', 'prod', '--as', 'bob'], '');
    assert.equal(no.code, 1);
    assert.deepEqual(no.asked, [`Approve run ${RUN_ID} of users-api/prod as bob? [y/N] `]);
    assert.deepEqual(no.updates, []);
    assert.match(no.err, /Not approved: nothing was sent\./);
    const yes = await decideCli(waiting, ['approve', 'users-api', '--env', 'prod', '--as', 'bob'], 'y');
    assert.equal(yes.code, 0, yes.err);
    assert.equal((yes.updates[0] as { runId: string }).runId, RUN_ID);
  });

  it('a run that is not waiting is refused before the summary: still planning, or over', async () => {
    const planning = await decideCli({ ...waiting, phase: 'planning' }, [
      'approve',
      'users-api',
      '--env',
      'prod',
      '--as',
      'bob',
      '--run',
      RUN_ID,
    ]);
    assert.match(planning.err, /is still planning: decide once it shows its plan/);
    const over = await decideCli({ ...waiting, phase: 'restored' }, [
      'approve',
      'users-api',
      '--env',
      'prod',
      '--as',
      'bob',
      '--run',
      RUN_ID,
    ]);
    assert.match(over.err, /is not waiting for a decision any more \(it is restored/);
    assert.deepEqual([...planning.updates, ...over.updates], []);
    assert.equal(over.out, '');
  });
});
