/**
 * The sandbox's own entry point (`npm start` without a rewind.yaml, or `npm run sandbox`):
 * `--engines real|standin` picks the GitOps engines; by default real Argo CD and Flux once
 * `npm run provision` has built them, else the stand-in, and it says which and why.
 */
import type { Logger } from 'pino';
import { realEnginesAvailable } from './world/engine-binaries.js';
import type { EngineMode } from './world/index.js';
import { runSandbox } from './run-sandbox.js';

export function sandboxEngines(argv: readonly string[]): { engines: EngineMode; why: string } {
  const i = argv.findIndex((a) => a === '--engines' || a.startsWith('--engines='));
  const asked = i < 0 ? undefined : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  if (asked !== undefined && asked !== 'real' && asked !== 'standin')
    throw new Error(`--engines ${asked}: use real or standin`);
  if (asked === 'standin' || (asked === undefined && process.env.REWIND_ENGINES === 'standin'))
    return { engines: 'standin', why: 'asked for' };
  if (realEnginesAvailable()) return { engines: 'real', why: asked ? 'asked for' : 'built' };
  if (asked === 'real' || process.env.REWIND_ENGINES === 'real') {
    throw new Error(
      'real engines asked for but not built: run `npm run provision` ' +
        'first (about 25 min cold on 2 cores, seconds with prebuilt copies)',
    );
  }
  return { engines: 'standin', why: 'the real engines are not built yet (npm run provision builds them)' };
}

export async function sandboxMain(argv: readonly string[], log: Logger): Promise<void> {
  const { engines, why } = sandboxEngines(argv);
  await runSandbox(log, { engines, why });
}
