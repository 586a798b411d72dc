/**
 * Replays every committed golden history (test/fixtures/histories/*.json) against the workflow code
 * as it is now. A change in workflows/ that would break runs already in flight (a rolling update
 * replays them on the new worker) fails here, with what to do about it.
 */
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SCENARIOS } from '../../fixtures/histories/record.js';
import { workflowBundle } from './runbook-runs.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const DIR = fileURLToPath(new URL('../../fixtures/histories/', import.meta.url));

/** What a failing replay tells the person who changed workflows/. */
export function replayAdvice(file: string, error: unknown): string {
  const e = error as { name?: string; message?: string };
  const nondeterminism = e?.name === 'DeterminismViolationError';
  return [
    `${file} does not replay on the current workflows/ code: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`,
    nondeterminism
      ? 'A change in workflows/ alters the commands a recorded run already issued (activities, timers, ' +
        'updates, their order). Runs in flight when a worker with this change starts would fail the same way.'
      : 'The history could not be replayed (not a determinism error): ' +
        'check that the file is a complete history written by historyToJSON.',
    "Fix: guard the change with `if (patched('<change-id>')) { new } else { old }` so recorded " +
      'runs keep the old path; README "Upgrading workers safely" says how to retire the patch later.',
    'Do NOT re-record the histories to make this pass: that hides the break from every run in ' +
      'flight. Re-record only after the change is patched, as test/fixtures/histories/README.md says.',
  ].join('\n');
}

let bundle: WorkflowBundle;
let histories: Array<{ file: string; json: unknown; history: History }>;

before(async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
  histories = await Promise.all(
    files.map(async (file) => {
      const json: unknown = JSON.parse(await readFile(`${DIR}${file}`, 'utf8'));
      return { file, json, history: historyFromJSON(json) };
    }),
  );
  bundle = await workflowBundle();
});

describe('golden histories', () => {
  it(
    'every scenario of record.ts has a committed history ' +
      '(older ones, kept as <name>.pre-<change>.json, replay too)',
    () => {
      const committed = new Set(histories.map((h) => h.file.replace(/\.json$/, '')));
      assert.deepEqual(
        Object.keys(SCENARIOS).filter((name) => !committed.has(name)),
        [],
        'record them: npx tsx test/fixtures/histories/record.ts <name>',
      );
    },
  );

  it('every committed history replays on the current workflow code', async () => {
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { workflowBundle: bundle },
      histories.map(({ file, history }) => ({ workflowId: file, history })),
    );
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(replayAdvice(result.workflowId, result.error));
    }
    assert.equal(replayed, histories.length);
    assert.equal(failures.length, 0, `\n${failures.join('\n\n')}`);
  });

  it(
    'the check catches nondeterminism: a history whose ' + 'first activity is another one fails with the advice',
    async () => {
      const { file, json } = histories.find((h) => h.file === 'rollback-restored.json')!;
      // Edited in the proto JSON form: a History object does not survive JSON.stringify (sdk-typescript#1362).
      const copy = structuredClone(json) as {
        events: Array<{ activityTaskScheduledEventAttributes?: { activityType: { name: string } } }>;
      };
      copy.events.find((e) => e.activityTaskScheduledEventAttributes)!
        .activityTaskScheduledEventAttributes!.activityType.name = 'engineState';
      const tampered = historyFromJSON(copy);
      const error = await Worker.runReplayHistory({ workflowBundle: bundle }, tampered, file).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(error, 'a replay of a tampered history must fail');
      const advice = replayAdvice(file, error);
      assert.match(advice, /DeterminismViolationError/);
      assert.match(advice, /patched\(/);
    },
  );
});
