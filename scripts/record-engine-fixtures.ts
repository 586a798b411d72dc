/**
 * Records the status shapes of the REAL engines into test/fixtures/engines/{argocd,flux}/: starts
 * the world with real Argo CD and Flux (no Temporal), drives the states of
 * test/integration/sandbox/engine-states.ts on the seeded apps, and writes each engine object
 * (status plus the spec/metadata fields rewind reads and writes) and the Events the engines wrote
 * on them, with volatile values replaced by placeholders. The stand-in is held to these shapes by
 * test/integration/sandbox/standin-shapes.test.ts.
 *
 *   npx tsx scripts/record-engine-fixtures.ts            # both engines
 *   npx tsx scripts/record-engine-fixtures.ts argocd     # one of them
 *
 * Takes about a minute on 2 cores once the engines are provisioned (a 20 s progress deadline has to pass).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorld } from '../src/sandbox/world/index.js';
import { ARGOCD_VERSION, FLUX_VERSION } from '../src/sandbox/world/engine-binaries.js';
import {
  driveArgoStates,
  driveFluxStates,
  engineEvents,
  pickArgo,
  pickFlux,
  promotionNames,
  scrub,
} from '../test/integration/sandbox/engine-states.js';

const OUT = fileURLToPath(new URL('../test/fixtures/engines/', import.meta.url));

async function save(engine: string, name: string, value: unknown): Promise<void> {
  const dir = path.join(OUT, engine);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
  console.log(`  ${engine}/${name}.json`);
}

async function main(): Promise<void> {
  const which = new Set(process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['argocd', 'flux']);
  for (const w of which)
    if (w !== 'argocd' && w !== 'flux') throw new Error(`unknown engine "${w}": use argocd and/or flux`);
  const t0 = Date.now();
  const world = await startWorld({ engines: 'real', temporal: 'none' });
  console.log(
    `world with real engines up in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
      `(Argo CD ${ARGOCD_VERSION}, Flux ${FLUX_VERSION})`,
  );
  try {
    const pending: Array<Promise<void>> = [];
    const recorded: Record<string, Array<[string, unknown]>> = { argocd: [], flux: [] };
    if (which.has('argocd'))
      pending.push(
        driveArgoStates(world, (state, app) => {
          console.log(`argocd: ${state}`);
          recorded.argocd!.push([state, scrub(pickArgo(app), promotionNames(world))]);
        }),
      );
    if (which.has('flux'))
      pending.push(
        driveFluxStates(world, (state, o) => {
          console.log(`flux: ${state}`);
          recorded.flux!.push([state, scrub(pickFlux(o), promotionNames(world))]);
        }),
      );
    const results = await Promise.allSettled(pending);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of failed.slice(1)) console.error(r.reason);
    if (failed[0]) throw failed[0].reason;
    for (const engine of which) {
      for (const [state, value] of recorded[engine]!) await save(engine, state, value);
      await save(
        engine,
        'events',
        await engineEvents(world.kube.kc, engine as 'argocd' | 'flux', promotionNames(world)),
      );
    }
    console.log(`recorded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await world.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
