/**
 * `npm start`. With a rewind.yaml (REWIND_CONFIG, else ./rewind.yaml): run the worker, and the
 * Slack app when Slack credentials are set, against the configured systems. A REWIND_CONFIG that
 * names a missing file is an error, never a fallback. Without either: the sandbox (the loopback
 * test world with seeded apps and a live incident), from its own entry point, loaded only then.
 * Ctrl-C stops everything.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../lib/log.js';
import { runProduction } from './serve.js';

const explicit = process.env.REWIND_CONFIG;
// The sandbox is for a person at a terminal: readable lines there. Production logs stay JSON.
const log = createLogger('rewind', undefined, { pretty: explicit === undefined && !existsSync('rewind.yaml') });
try {
  if (explicit !== undefined) {
    const file = path.resolve(explicit);
    if (!existsSync(file)) {
      log.error(
        `REWIND_CONFIG=${explicit}: ${file} does not exist. Point REWIND_CONFIG at ` +
          `your rewind.yaml (see rewind.example.yaml), or unset it to start the sandbox.`,
      );
      process.exitCode = 1;
    } else {
      await runProduction(file, log);
    }
  } else if (existsSync('rewind.yaml')) {
    await runProduction(path.resolve('rewind.yaml'), log);
  } else {
    // The one place production code reaches src/sandbox/: a dynamic import, so a production start
    // never loads the test world. docs/architecture.md; test/unit/layout/import-rules.test.ts allows only this.
    const { sandboxMain } = await import('../sandbox/main.js');
    await sandboxMain(process.argv.slice(2), log);
  }
} catch (err) {
  log.error({ err }, 'rewind failed to start');
  process.exitCode = 1;
}
