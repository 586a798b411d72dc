/** A real bare repo plus a work clone in a temp dir, for git-source and render tests. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';

export interface TempRepo {
  root: string;
  remote: string;
  commit(files: Record<string, string | null>, msg: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function tempRepo(files: Record<string, string>): Promise<TempRepo> {
  const root = await mkdtemp(path.join(tmpdir(), 'rewind-git-'));
  const remote = path.join(root, 'remote.git'),
    work = path.join(root, 'work');
  await simpleGit().init(true, [remote, '--initial-branch=main']);
  await mkdir(work);
  const git = simpleGit({
    baseDir: work,
    config: ['user.name=test', 'user.email=test@example.test', 'commit.gpgsign=false'],
  });
  await git.init(['--initial-branch=main']);
  await git.addRemote('origin', remote);
  const commit = async (changes: Record<string, string | null>, msg: string) => {
    for (const [p, text] of Object.entries(changes)) {
      const full = path.join(work, p);
      if (text === null) await rm(full, { force: true });
      else {
        await mkdir(path.dirname(full), { recursive: true });
        await writeFile(full, text);
      }
    }
    await git.add(['-A', '--', '.']);
    await git.commit(msg);
    await git.push('origin', 'HEAD:main');
    return (await git.revparse(['HEAD'])).trim();
  };
  await commit(files, 'initial');
  return { root, remote, commit, cleanup: () => rm(root, { recursive: true, force: true }) };
}
