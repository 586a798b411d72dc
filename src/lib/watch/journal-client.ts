/**
 * Reads a target's watch journal through a Temporal client: shared by the processes
 * (src/lib/watch/target-watches.ts) and the activities, which have only the worker's client.
 */
import type { Client } from '@temporalio/client';
import { journalQuery } from '../../../workflows/watch/messages.js';
import { watchWorkflowId, type Journal } from '../../../workflows/watch/types.js';

/**
 * The journal of the running watch of `app`/`env`; undefined when no watch runs (never started,
 * stopped, or terminated).
 */
export async function queryJournal(client: Client, app: string, env: string): Promise<Journal | undefined> {
  const handle = client.workflow.getHandle(watchWorkflowId(app, env));
  try {
    // A closed watch still answers queries (by replay), but it watches nothing: "no watch runs".
    if ((await handle.describe()).status.name !== 'RUNNING') return undefined;
    return await handle.query(journalQuery);
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}
