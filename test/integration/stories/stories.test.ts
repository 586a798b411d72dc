/**
 * The incident stories of test/stories/ (one file each, with the published incident each is drawn
 * from in test/stories/README.md), replayed on real Argo CD and real Flux in ONE world, one after
 * the other: starting a world costs about 20 s. Before each story the world is reset (reset.ts),
 * so the stories do not depend on each other's order. STORY=<a>,<b> runs only the stories whose
 * name contains one of them.
 */
import { after, before, describe, it } from 'node:test';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { readJournal } from '../../../src/lib/watch/target-watches.js';
import { BASELINE_FAULTS } from '../../stories/faults.js';
import { STORIES } from '../../stories/index.js';
import { waitFor } from '../../support/wait.js';
import { storyReset, TARGETS, type StoryReset } from './reset.js';
import { tellStory } from './run-story.js';

let world: World;
let reset: StoryReset;
const only = process.env.STORY?.split(',').filter(Boolean);
const log = (line: string) => {
  if (process.env.STORY_LOG !== '0') console.log(line);
};

describe('incident stories on real Argo CD and Flux', () => {
  before(async () => {
    const t0 = Date.now();
    // A health window longer than the crash delays the stories use (3-4 s after ready), and a
    // timeout that keeps the not-restored stories reasonably short.
    world = await startWorld({
      temporal: 'dev',
      engines: 'real',
      health: { window: '8s', timeout: '60s' },
      workloads: { faults: BASELINE_FAULTS },
    });
    await world.startWorker();
    // The watches must run before anyone edits anything: an edit counts once the watch has its baseline.
    await world.startWatches();
    await Promise.all(
      TARGETS.map((t) =>
        waitFor(
          `${t.app}/${t.env} watch baseline`,
          async () => {
            const j = await readJournal(world.rewind(), t.app, t.env);
            return j && j.baselines.length > 0 ? true : undefined;
          },
          180_000,
          500,
        ),
      ),
    );
    reset = await storyReset(world);
    log(`[stories] world ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });
  after(async () => {
    await world?.stop();
  });

  for (const story of STORIES.filter((s) => !only?.length || only.some((o) => s.name.includes(o)))) {
    it(`${story.name}: ${story.title}`, { ...(story.knownGap ? { todo: story.knownGap } : {}) }, async () => {
      const t0 = Date.now();
      await reset.reset(BASELINE_FAULTS);
      log(`[${story.name}] reset: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      await tellStory(world, story, log);
      log(`[${story.name}] total: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    });
  }
});
