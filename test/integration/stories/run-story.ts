/**
 * Tells one story against the world: its setup and incident steps, then each act through the real
 * `rewind` CLI (an approver approves with `rewind approve` once the requester's terminal shows the
 * plan), and checks what the person read: the exit code, the run's phase, the plan before
 * approval, the key lines of the output, texts that must not appear, and the story's own checks.
 */
import assert from 'node:assert/strict';
import type { World } from '../../../src/sandbox/world/index.js';
import { statusQuery } from '../../../workflows/messages.js';
import type { RunStatus } from '../../../workflows/types.js';
import { BASELINE_FAULTS } from '../../stories/faults.js';
import type { Act, Story, Text, Vars } from '../../stories/story.js';
import { runCli, startCli } from './cli.js';
import { runStep, StoryVars, storyWorld } from './world-steps.js';

const resolve = (t: Text, v: Vars): string | RegExp => (typeof t === 'function' ? t(v) : t);
const found = (t: string | RegExp, text: string) => (typeof t === 'string' ? text.includes(t) : t.test(text));
const show = (t: string | RegExp) => (typeof t === 'string' ? JSON.stringify(t) : String(t));

function cliArgs(act: Act, vars: Vars): string[] {
  const common = ['--env', act.env, '--reason', act.reason, '--as', act.as];
  if (act.do === 'rollback') return ['rollback', act.app, ...common, ...(act.to ? ['--to', vars.sha(act.to)] : [])];
  return ['emergency', act.app, ...common, ...act.change.flatMap((c) => ['--change', c])];
}

async function tellAct(world: World, act: Act, vars: StoryVars, log: (line: string) => void): Promise<void> {
  const headBefore = await world.repo.head();
  const args = cliArgs(act, vars);
  const cli = startCli(world, args);
  let planText = '';
  if (act.approver) {
    // The approver decides on what the requester's terminal shows: the plan, then who may approve.
    planText = await cli.waitForOutput(/^ {2}An approver runs: rewind approve /m, 240_000);
    const decision = act.decision ?? 'approve';
    // No terminal here: the approver names the run they looked at, as the requester's output shows it.
    const runId = /^Started \S+ \(run ([0-9a-f-]+)\)/m.exec(cli.stdout)?.[1];
    assert.ok(runId, `the requester's output names the run:\n${cli.stdout}`);
    const decided = await runCli(world, [decision, act.app, '--env', act.env, '--as', act.approver, '--run', runId]);
    assert.equal(decided.code, 0, `rewind ${decision} exited ${decided.code}:\n${decided.stdout}\n${decided.stderr}`);
  }
  const code = await cli.done;
  const { stdout, stderr } = cli;
  const transcript = `$ rewind ${args.join(' ')}\n${stdout}${stderr ? `\n[stderr]\n${stderr}` : ''}`;
  log(transcript);
  const started = /^Started (\S+) \(run ([0-9a-f-]+)\)/m.exec(stdout);
  assert.ok(started, `the CLI says which run it started:\n${transcript}`);
  const status = (await world
    .rewind()
    .client.workflow.getHandle(started[1]!, started[2]!)
    .query(statusQuery)) as RunStatus;
  const e = act.expect;
  assert.equal(status.phase, e.phase, `${act.do}: phase ${status.phase} (${status.result ?? ''})\n${transcript}`);
  assert.equal(code, e.exit, `${act.do}: exit code\n${transcript}`);
  for (const t of e.plan ?? []) {
    const want = resolve(t, vars);
    assert.ok(found(want, planText), `${act.do}: the plan before approval lacks ${show(want)}:\n${planText}`);
  }
  for (const t of e.output ?? []) {
    const want = resolve(t, vars);
    assert.ok(found(want, stdout), `${act.do}: the output lacks ${show(want)}:\n${transcript}`);
  }
  for (const t of e.absent ?? []) {
    const bad = resolve(t, vars);
    assert.ok(!found(bad, stdout + stderr), `${act.do}: the output must not contain ${show(bad)}:\n${transcript}`);
  }
  await e.check?.({ vars, status, stdout, world: storyWorld(world), headBefore, headAfter: await world.repo.head() });
}

export async function tellStory(world: World, story: Story, log: (line: string) => void): Promise<void> {
  const vars = new StoryVars();
  const timed = async (what: string, body: () => Promise<void>) => {
    const t0 = Date.now();
    await body();
    log(`[${story.name}] ${what}: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  };
  const faults = story.faults ?? BASELINE_FAULTS;
  if (![...story.setup, ...story.incident].some((s) => s.do === 'faults')) world.workloads.setFaults(faults);
  await timed('setup', async () => {
    for (const s of story.setup) await runStep(world, s, vars, faults);
  });
  await timed('incident', async () => {
    for (const s of story.incident) await runStep(world, s, vars, faults);
  });
  for (const [i, act] of story.acts.entries())
    await timed(`act ${i + 1} (${act.do})`, () => tellAct(world, act, vars, log));
}
