/**
 * `npm start`. With a rewind.yaml (REWIND_CONFIG or ./rewind.yaml): run the worker, and the
 * Slack app when Slack credentials are set, against the configured systems. Without one:
 * start the sandbox (the loopback test world with seeded apps and a live incident) and print
 * what a newcomer can try next. Ctrl-C stops everything.
 */
import { existsSync } from 'node:fs';
import { configPath } from './config/load.js';
import { log } from './log.js';
import { runProduction } from './serve.js';
import { runSandbox } from './sandbox/run-sandbox.js';

const file = configPath();
const mode = existsSync(file) ? 'configured' : 'sandbox';
try {
  if (mode === 'configured') await runProduction(file, log);
  else await runSandbox(log);
} catch (err) {
  log.error({ err }, `rewind (${mode}) failed to start`);
  process.exitCode = 1;
}
