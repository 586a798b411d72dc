/**
 * Who runs the CLI, as the real kube-apiserver of the world says: token users registered with the
 * API server (kube.ts), one kubeconfig context each, and a rewind.yaml that maps their Kubernetes
 * user names to people (people.*.kube) and allows no typed names. A prod rollback is started by
 * alice's kubeconfig and approved by bob's with `rewind approve --run`; a user mapped to nobody, a
 * typed --as, a server rewind.yaml does not name and a stale run id are refused.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { parse, stringify } from 'yaml';
import { decide, person, RefusedError } from '../../../src/lib/runs.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { statusQuery } from '../../../workflows/messages.js';
import type { Decision, RunInput, RunStatus } from '../../../workflows/types.js';
import { poll, snapshot } from '../slack/world-checks.js';
import { rewindCliWith } from './cli-process.js';

const TOKEN_USERS = ['alice@acme.test', 'bob@acme.test', 'eve@acme.test'].map((user) => ({
  token: `${user.split('@')[0]}-token-0123456789`,
  user,
  uid: user,
}));
const PROD = 'rewind/users-api/prod';

let world: World;
/**
 * rewind.yaml where the cluster says who you are: kube: mappings, no typed names, prod requires
 * proven decisions (the default).
 */
let provenConfig: string;
/** The same, but typed names are let through the CLI: prod's requireProvenIdentity must still refuse them. */
let claimingConfig: string;

/** The CLI with KUBECONFIG = the world's kubeconfig (one context per token user) and a rewind.yaml. */
const as = (context: string, ...args: string[]) =>
  rewindCliWith(
    world,
    { REWIND_CONFIG: provenConfig, KUBECONFIG: world.kube.kubeconfigPath },
    ...args,
    '--kube-context',
    context,
  );

async function variant(name: string, edit: (doc: Record<string, any>) => void): Promise<string> {
  const doc = parse(world.configText) as Record<string, any>;
  edit(doc);
  const file = path.join(world.dir, name);
  await writeFile(file, stringify(doc));
  return file;
}

describe("CLI identity proven by the world's kube-apiserver", () => {
  let runId: string;

  before(async () => {
    world = await startWorld({ temporal: 'dev', tokenUsers: TOKEN_USERS, health: { window: '2s', timeout: '90s' } });
    await world.startWorker();
    const proven = (doc: Record<string, any>) => {
      doc.people.alice.kube = 'alice@acme.test';
      doc.people.bob.kube = ['bob@acme.test'];
      doc.cli = { allowClaimedIdentity: false };
      for (const app of Object.values(doc.apps) as Array<{ environments: Record<string, { approval?: unknown }> }>)
        delete app.environments.prod!.approval;
    };
    provenConfig = await variant('proven.yaml', proven);
    claimingConfig = await variant('claiming.yaml', (doc) => {
      proven(doc);
      doc.cli = { allowClaimedIdentity: true };
    });
  });
  after(async () => {
    await world?.stop();
  });

  it(
    'a kubeconfig user mapped to nobody, a typed --as and a ' +
      'server rewind.yaml does not name are refused; nothing starts',
    async () => {
      const before = await snapshot(world, PROD);
      const eve = await as(
        'eve@acme.test',
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        '5xx after 1.42',
        '--no-wait',
      );
      assert.equal(eve.code, 1, eve.stderr);
      assert.match(
        eve.stderr,
        /cluster sandbox knows you as Kubernetes user "eve@acme\.test", but no person in rewind\.yaml has it under kube:\. Ask a rewind admin to add `kube: "eve@acme\.test"` to your entry under people:/,
      );

      const typed = await rewindCliWith(
        world,
        { REWIND_CONFIG: provenConfig, KUBECONFIG: world.kube.kubeconfigPath },
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        'x',
        '--as',
        'alice',
      );
      assert.equal(typed.code, 1);
      assert.match(
        typed.stderr,
        /--as "alice" is refused: rewind\.yaml does not let the CLI act as a typed name \(cli\.allowClaimedIdentity is false\).*people\.<handle>\.kube/,
      );

      // The same credentials, sent to a server rewind.yaml does not name: its word is not taken.
      const elsewhere = path.join(world.dir, 'elsewhere.kubeconfig');
      await writeFile(
        elsewhere,
        (await readFile(world.kube.kubeconfigPath, 'utf8')).replace(world.kube.server, 'https://127.0.0.1:1'),
      );
      const untrusted = await rewindCliWith(
        world,
        { REWIND_CONFIG: provenConfig, KUBECONFIG: elsewhere },
        'rollback',
        'users-api',
        '--env',
        'prod',
        '--reason',
        'x',
        '--kube-context',
        'alice@acme.test',
      );
      assert.equal(untrusted.code, 1);
      assert.match(
        untrusted.stderr,
        /your kubeconfig context "alice@acme\.test" points at https:\/\/127\.0\.0\.1:1, which is not a cluster in rewind\.yaml, and the target runs on cluster sandbox/,
      );
      assert.deepEqual(await snapshot(world, PROD), before, 'no run, no commit');
    },
  );

  it("alice's kubeconfig starts a prod rollback as alice, and the run records that the cluster said so", async () => {
    const r = await as(
      'alice@acme.test',
      'rollback',
      'users-api',
      '--env',
      'prod',
      '--reason',
      '5xx after 1.42',
      '--no-wait',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    ({ runId } = JSON.parse(r.stdout) as { runId: string });
    assert.match(r.stderr, /: rollback of users-api\/prod for alice\./);
    const waiting = await poll(
      'the prod run to wait for approval',
      async () => {
        const s = await world.rewind().client.workflow.getHandle(PROD).query(statusQuery);
        return s.phase === 'awaiting-approval' ? s : undefined;
      },
      180_000,
      500,
    );
    assert.equal(waiting.requester, 'alice');
    assert.equal(waiting.runId, runId);
    const history = await world.rewind().client.workflow.getHandle(PROD, runId).fetchHistory();
    const input = defaultPayloadConverter.fromPayload(
      history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]! as never,
    ) as RunInput;
    assert.equal(input.request.via, 'kube');
    assert.equal(input.target.approval.requireProvenIdentity, true, 'prod requires proven decisions by default');
  });

  it(
    'a decision for a stale run id is refused, by the CLI and ' +
      "by the workflow; a typed name is refused by prod's policy",
    async () => {
      const stale = await as('bob@acme.test', 'approve', 'users-api', '--env', 'prod', '--run', 'an-earlier-run');
      assert.equal(stale.code, 1);
      assert.match(
        stale.stderr,
        new RegExp(`--run "an-earlier-run" is not the run waiting on users-api/prod: that is run ${runId}`),
      );
      // Past the CLI (anyone who can reach the namespace): the workflow's validator is the final check.
      const rw = world.rewind();
      await assert.rejects(
        decide(rw, PROD, { decision: 'approve', by: person(rw.cfg, 'bob'), runId: 'an-earlier-run', via: 'kube' }),
        (e: unknown) =>
          e instanceof RefusedError &&
          /this decision is for run an-earlier-run, but rewind\/users-api\/prod is now run /.test(e.message),
      );

      const noRun = await as('bob@acme.test', 'approve', 'users-api', '--env', 'prod');
      assert.equal(noRun.code, 1);
      assert.match(
        noRun.stdout,
        new RegExp(`^Run ${runId} \\(rewind/users-api/prod\\): rollback of users-api/prod, awaiting-approval$`, 'm'),
      );
      assert.match(noRun.stdout, /^ {2}Requested by alice at .*: 5xx after 1\.42$/m);
      assert.match(noRun.stdout, /^ {2}Plan: revert [0-9a-f]{7} "promote users-api 1\.42\.0 to prod"/m);
      assert.match(noRun.stdout, /^You: bob \(Kubernetes user "bob@acme\.test" on cluster sandbox\)$/m);
      assert.match(
        noRun.stderr,
        new RegExp(
          `no terminal\\)\\. Check the plan above, then name the ` +
            `run: rewind approve users-api --env prod --run ${runId}$`,
          'm',
        ),
      );

      const own = await as('alice@acme.test', 'approve', 'users-api', '--env', 'prod', '--run', runId);
      assert.equal(own.code, 1);
      assert.match(own.stderr, /alice requested this run and cannot approve it/);

      const typed = await rewindCliWith(
        world,
        { REWIND_CONFIG: claimingConfig },
        'approve',
        'users-api',
        '--env',
        'prod',
        '--run',
        runId,
        '--as',
        'bob',
      );
      assert.equal(typed.code, 1);
      assert.match(
        typed.stderr,
        /users-api\/prod takes decisions only from a proven identity \(Slack, or the CLI identified by your kubeconfig\), not from a name typed with --as/,
      );
      const still = await world.rewind().client.workflow.getHandle(PROD).query(statusQuery);
      assert.equal(still.phase, 'awaiting-approval');
      assert.deepEqual(still.approvals, []);
    },
  );

  it('bob approves with rewind approve --run from his kubeconfig; the run restores prod', async () => {
    const r = await as(
      'bob@acme.test',
      'approve',
      'users-api',
      '--env',
      'prod',
      '--run',
      runId,
      '--comment',
      'plan matches the 5xx',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /approved by bob: reverting [0-9a-f]{7} now \(rewind\/users-api\/prod, requested by alice\)\./,
    );
    const final = (await world.rewind().client.workflow.getHandle(PROD, runId).result()) as RunStatus;
    assert.equal(final.phase, 'restored', final.result);
    assert.deepEqual(
      final.approvals.map((a) => [a.by, a.decision]),
      [['bob', 'approve']],
    );
    const history = await world.rewind().client.workflow.getHandle(PROD, runId).fetchHistory();
    const accepted = history
      .events!.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
      .filter((a) => a?.acceptedRequest?.input?.name === 'decide');
    assert.equal(accepted.length, 1, "only bob's decision was accepted");
    const decision = defaultPayloadConverter.fromPayload(
      accepted[0]!.acceptedRequest!.input!.args!.payloads![0]! as never,
    ) as Decision;
    assert.deepEqual(
      { by: decision.by.handle, runId: decision.runId, via: decision.via },
      { by: 'bob', runId, via: 'kube' },
    );
  });
});
