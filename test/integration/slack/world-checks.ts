/** What "nothing changed" means in the test world: the same Git head and no new run of the target. */
import type { World } from '../../../src/sandbox/world/index.js';

export async function runsOf(world: World, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of world.rewind().client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

export async function snapshot(world: World, workflowId: string): Promise<{ head: string; runs: number }> {
  return { head: await world.repo.head(), runs: await runsOf(world, workflowId) };
}

export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `; last error: ${last.message}` : ''}`);
}
