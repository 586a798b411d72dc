/** Entry point of the `rewind` CLI (bin/rewind.mjs, `npm run rewind`, `tsx src/app/cli/main.ts`). */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
