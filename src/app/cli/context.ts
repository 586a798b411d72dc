/**
 * What every command needs: rewind.yaml (REWIND_CONFIG or ./rewind.yaml) and a Temporal client
 * built from its temporal: section (environment variables win, see src/lib/temporal/connection.ts).
 */
import { loadConfig } from '../../lib/config/load.js';
import type { RewindConfig } from '../../lib/config/schema.js';
import type { Rewind } from '../../lib/runs.js';
import { connectClient, temporalTarget } from '../../lib/temporal/connection.js';

export interface CliContext {
  rw: Rewind;
  close(): Promise<void>;
}

export async function openRewind(cfg?: RewindConfig): Promise<CliContext> {
  const config = cfg ?? (await loadConfig());
  const target = temporalTarget(config.temporal);
  let client;
  try {
    client = await connectClient(target);
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(err as Error).message}. ` +
        `Is the server up? Set TEMPORAL_ADDRESS or temporal.address in rewind.yaml.`,
    );
  }
  return {
    rw: { cfg: config, client, taskQueue: target.taskQueue },
    close: () => client.connection.close(),
  };
}
