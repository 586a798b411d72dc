/** `npm run sandbox [-- --engines real|standin]`: the sandbox, whatever rewind.yaml exists. */
import { createLogger } from '../lib/log.js';
import { sandboxMain } from './main.js';

const log = createLogger('rewind', undefined, { pretty: true });

try {
  await sandboxMain(process.argv.slice(2), log);
} catch (err) {
  log.error({ err }, 'the sandbox failed to start');
  process.exitCode = 1;
}
