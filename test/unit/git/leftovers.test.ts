import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isLeftover, OWNER, sweepLeftovers } from '../../../src/lib/git/leftovers.js';

/** The pid of a process that has exited (and, this soon after, not been reused). */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim());

describe('leftovers of killed processes', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it(
    "removes a dead process's temporary clones, trees and " +
      "scratch checkouts, and keeps this process's and a live one's",
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'rewind-leftovers-'));
      dirs.push(dir);
      const dead = `${deadPid()}.a1b2c3`;
      const samePidEarlierProcess = `${process.pid}.${OWNER.endsWith('ffffff') ? '000000' : 'ffffff'}`;
      const live = `${process.ppid}.abcdef`; // the test runner: alive
      const names = {
        removed: [
          `0123456789abcdef.git.tmp-${dead}-0a0b0c0d`,
          `wt-${dead}-Xy12Ab`,
          `${'e'.repeat(40)}.tmp-${dead}-01020304.tar`,
          `wt-${samePidEarlierProcess}-Qw34Er`,
        ],
        kept: [
          `wt-${OWNER}-Zz99Zz`,
          `0123456789abcdef.git.tmp-${OWNER}-0a0b0c0d`,
          `wt-${live}-Aa11Bb`,
          '0123456789abcdef.git',
          'e'.repeat(40),
          'wt-Kk77Ll', // made before owners were recorded: not provably a leftover
        ],
      };
      for (const n of [...names.removed, ...names.kept])
        if (n.endsWith('.tar')) await writeFile(path.join(dir, n), 'x');
        else await mkdir(path.join(dir, n, 'sub'), { recursive: true });

      assert.deepEqual((await sweepLeftovers(dir)).sort(), [...names.removed].sort());
      assert.deepEqual((await readdir(dir)).sort(), [...names.kept].sort());
    },
  );

  it('tells owners apart by pid and token', () => {
    assert.equal(isLeftover(`wt-${OWNER}-abcdef`), false);
    assert.equal(isLeftover(`x.tmp-${deadPid()}.000000-ab`), true);
    assert.equal(isLeftover('x.tmp-12ab-cd'), false);
  });
});
