#!/usr/bin/env node
// Launcher for the rewind CLI: the compiled build (dist/, made by `npm ci` through `prepare`, or
// `npm run build`) when there is one and no source file is newer than it; otherwise the TypeScript
// sources through tsx's loader API (seconds slower to start), so a checkout works without a build
// step and an edited checkout never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/src/app/cli/main.js`;
const source = `${root}src/app/cli/main.ts`;

/**
 * True when dist/ was built (scripts/build.mjs writes dist/.built) after the last change to src/,
 * workflows/ and activities/.
 */
function buildIsCurrent() {
  let builtAt;
  try {
    builtAt = statSync(`${root}dist/.built`).mtimeMs;
  } catch {
    return false;
  }
  const newer = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    return entries.some((e) =>
      e.isDirectory() ? newer(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs > builtAt,
    );
  };
  return !['src', 'workflows', 'activities'].some((d) => newer(`${root}${d}`));
}

// Without the sources (an image that ships dist/ only) the build is all there is.
if (existsSync(built) && (!existsSync(source) || buildIsCurrent())) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
}
