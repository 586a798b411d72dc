/**
 * Keeps the run's Slack message in step with its status: posted once, then updated in place, BESIDE
 * the run. Runbook steps never wait for chat: a step asks for an update (`poke`) and goes on; one
 * update at a time is in flight, and whatever changed meanwhile is coalesced into the next one, so
 * the message always catches up to the latest status, also after a Slack outage. Each failure is
 * recorded on the timeline with its cause.
 */
import { condition, patched, sleep } from '@temporalio/workflow';
import { notifyActs } from './activities.js';
import { failureMessage } from './failure-message.js';
import type { RunState } from './run-state.js';
import type { TargetSnapshot } from './types.js';

/** After a failed update, wait this long before catching up (Slack is down or slow). */
const CATCH_UP_AFTER_MS = 30_000;
/**
 * While the run ends, a failed last update is retried this often (within flush's limit), so it
 * lands once Slack is back.
 */
const FINAL_RETRY_MS = 3_000;
/** Consecutive failures after which the notifier waits for the next change instead of retrying on a timer. */
const GIVE_UP_AFTER = 10;

export class RunNotifier {
  private dirty = false;
  private running?: Promise<void>;
  private failures = 0;
  private ending = false;

  constructor(
    private readonly target: TargetSnapshot,
    private readonly state: RunState,
  ) {}

  /** Asks for the message to show the current status; returns at once. */
  poke(): void {
    if (!this.target.channel) return;
    this.dirty = true;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** At the end of a run: give the last update up to `maxMs`, then let the run end regardless. */
  async flush(maxMs: number): Promise<void> {
    // Before this patch the last update waited out the 30 s catch-up delay, which outlasted the
    // flush: a Slack that refused for a few seconds as the run ended left its message at Running.
    this.ending = patched('final-slack-update-retried');
    this.poke();
    if (this.running) await Promise.race([this.running, sleep(maxMs)]);
    if (this.dirty && this.failures)
      this.state.record(
        'failure',
        'rewind',
        `the run message could not be brought up to date: Slack failed ${this.failures} update(s) ` +
          `in a row; the final status is in rewind status and the timeline`,
      );
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        const msg = await notifyActs.publishRunMessage({
          channel: this.target.channel!,
          status: this.state.status,
          target: this.target,
        });
        if (this.failures)
          this.state.record(
            'note',
            'rewind',
            `Slack reachable again after ${this.failures} failed update(s); the run message is current`,
          );
        this.failures = 0;
        if (msg && !this.state.status.slackMessage) {
          this.state.status.slackMessage = msg;
          this.state.record('evidence', 'rewind', 'posted the run to Slack', {
            channel: msg.channel,
            ts: msg.ts,
            permalink: msg.permalink,
          });
        }
      } catch (err) {
        this.failures += 1;
        // Once per outage on the timeline, with the cause; the update is retried beside the run.
        if (this.failures === 1)
          this.state.record(
            'failure',
            'rewind',
            `Slack update failed: ${failureMessage(err)}; retrying beside the run`,
          );
        this.dirty = true;
        if (!this.ending && this.failures % GIVE_UP_AFTER === 0) return; // the next poke tries again
        if (this.ending) await sleep(FINAL_RETRY_MS);
        // A run that ends meanwhile cuts the wait short, so its last update is not 30 s away.
        else if (patched('final-slack-update-retried')) await condition(() => this.ending, CATCH_UP_AFTER_MS);
        else await sleep(CATCH_UP_AFTER_MS);
      }
    }
  }
}
