#!/usr/bin/env node
// Builds dist/ (`npm run build`, and `npm ci` / `npm install` through `prepare`): the TypeScript of
// src/, workflows/ and activities/ compiled by tsc -p tsconfig.build.json, plus the files beside it
// that code finds next to itself at run time (the sandbox's CRDs, netns-relay.mjs,
// exec-credential-plugin.mjs), copied to the same relative paths. Last, dist/.built is written,
// dated when the build started: bin/rewind.mjs runs dist/ only while no source file is newer.
//
// `--if-possible` (prepare): skip, saying why, where there is nothing to build with: an install
// without dev dependencies (no typescript, e.g. the runtime image's `npm ci --omit=dev`) or without
// the sources (the image's first `npm ci`, before they are copied); and a failing tsc leaves no
// dist/ and a warning, not a failed install. `npm run build` fails on all three.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const SOURCE_DIRS = ['src', 'workflows', 'activities'];
const ifPossible = process.argv.includes('--if-possible');

let tsc;
try {
  tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  if (ifPossible) {
    console.log(
      'rewind: typescript is not installed (an install without dev ' +
        'dependencies): dist/ not built; bin/rewind.mjs runs the sources through tsx',
    );
    process.exit(0);
  }
  console.error('rewind: cannot build: typescript is not installed; run npm ci first');
  process.exit(1);
}
if (!existsSync(path.join(root, 'tsconfig.build.json')) || !existsSync(path.join(root, 'src'))) {
  if (ifPossible) {
    console.log('rewind: no sources here yet (tsconfig.build.json, src/): dist/ not built');
    process.exit(0);
  }
  console.error('rewind: cannot build: tsconfig.build.json or src/ is missing');
  process.exit(1);
}

// dist/.built gets this time: a source saved while tsc runs counts as newer than the build.
const startedAt = new Date();
// A fresh dist/: files of deleted sources must not linger and be imported.
rmSync(dist, { recursive: true, force: true });
const res = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (res.status !== 0) {
  // tsc emits even on type errors; half a build is worse than none: without dist/ the launcher runs the sources.
  rmSync(dist, { recursive: true, force: true });
  // An install is not the place to fail on a type error (npm test's typecheck is): prepare warns and goes on.
  console.error(
    `rewind: tsc failed: dist/ not ` +
      `built${ifPossible ? '; bin/rewind.mjs runs the sources through tsx until `npm run build` succeeds' : ''}`,
  );
  process.exit(ifPossible ? 0 : (res.status ?? 1));
}

let assets = 0;
const copyAssets = (dir) => {
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) copyAssets(rel);
    else if (!e.name.endsWith('.ts')) {
      mkdirSync(path.join(dist, dir), { recursive: true });
      copyFileSync(path.join(root, rel), path.join(dist, rel));
      assets++;
    }
  }
};
for (const d of SOURCE_DIRS) if (existsSync(path.join(root, d))) copyAssets(d);
writeFileSync(path.join(dist, '.built'), `${startedAt.toISOString()}\n`);
utimesSync(path.join(dist, '.built'), startedAt, startedAt);
console.log(`rewind: built dist/ (tsc -p tsconfig.build.json, ${assets} other files copied)`);
