/**
 * What `rewind rollback` and `rewind emergency` do once their run has started: say so, then
 * either return (--no-wait) or follow it step by step until it ends (or needs a person), print
 * the outcome, and map it to the exit code. Ctrl-C stops watching, never the run.
 */
import type { Rewind } from '../../lib/runs.js';
import type { RunStatus, TargetSnapshot } from '../../../workflows/types.js';
import type { Io } from './io.js';
import { EXIT, exitCodeFor } from './io.js';
import { watchRun } from './watch.js';

export interface FollowOptions {
  started: { workflowId: string; runId: string; target: TargetSnapshot };
  /** "rollback", "emergency change": for the first line. */
  what: string;
  requester: string;
  json?: boolean;
  wait: boolean;
  /** Lines for a finished (or held) run in text mode. */
  outcome: (final: RunStatus) => string[];
  /** Extra lines to stderr in JSON mode (e.g. what to run for a held pause). */
  jsonNotes?: (final: RunStatus) => string[];
}

export async function followRun(io: Io, rw: Rewind, o: FollowOptions): Promise<number> {
  const { started } = o;
  const say = o.json ? io.err : io.out;
  say(
    `Started ${started.workflowId} (run ${started.runId}): ${o.what}` +
      ` of ${started.target.app}/${started.target.env} for ${o.requester}.`,
  );
  if (!o.wait) {
    if (o.json) io.out(JSON.stringify({ workflowId: started.workflowId, runId: started.runId }));
    else say(`Follow it with: rewind status ${started.target.app}`);
    return EXIT.ok;
  }
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    const final = await watchRun(rw.client, started.workflowId, started.runId, started.target, say, {
      signal: stop.signal,
    });
    if (o.json) {
      io.out(JSON.stringify(final));
      (o.jsonNotes?.(final) ?? []).forEach(io.err);
    } else {
      o.outcome(final).forEach(io.out);
    }
    return exitCodeFor(final.phase);
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    io.err(`Stopped watching. The run goes on: rewind status ${started.target.app}`);
    return EXIT.interrupted;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
