import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/program.js';
import { exitCodeFor } from '../../../src/cli/io.js';
import { CONFIG_YAML } from '../slack/config-fixture.js';

/** Runs the CLI in-process; refusals here happen before any Temporal connection (port 1 would fail loudly). */
async function cli(...args: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(['node', 'rewind', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('rewind CLI, refusals before Temporal', () => {
  let dir: string;
  const saved = { ...process.env };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-cli-unit-'));
    await writeFile(path.join(dir, 'rewind.yaml'), `temporal: { address: "127.0.0.1:1" }\n${CONFIG_YAML}`);
    process.env.REWIND_CONFIG = path.join(dir, 'rewind.yaml');
    delete process.env.REWIND_USER;
  });
  after(async () => { process.env = saved; await rm(dir, { recursive: true, force: true }); });

  it('an unknown --as is refused with exit 1 and the fix on stderr', async () => {
    const r = await cli('rollback', 'users-api', '--env', 'prod', '--reason', 'x', '--as', 'eve');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /"eve" is not a person in rewind\.yaml; add them under people:/);
  });

  it('missing required options and unknown flags exit 1', async () => {
    assert.equal((await cli('rollback', 'users-api', '--reason', 'x')).code, 1);
    const r = await cli('rollback', 'users-api', '--env', 'prod', '--reason', 'x', '--force');
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown option '--force'/);
  });

  it('a missing config file names the file and the fix', async () => {
    process.env.REWIND_CONFIG = path.join(dir, 'absent.yaml');
    try {
      const r = await cli('status');
      assert.equal(r.code, 1);
      assert.match(r.err, /absent\.yaml.*cannot read the file.*REWIND_CONFIG/);
    } finally { process.env.REWIND_CONFIG = path.join(dir, 'rewind.yaml'); }
  });

  it('maps run phases to exit codes', () => {
    assert.equal(exitCodeFor('restored'), 0);
    assert.equal(exitCodeFor('not-restored'), 2);
    for (const p of ['failed', 'cancelled', 'rejected', 'expired'] as const) assert.equal(exitCodeFor(p), 1);
  });
});
