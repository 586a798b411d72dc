/** `rewind rollback`: start the rollback runbook, print the plan and each step, exit with the outcome. */
import type { Command } from 'commander';
import { startRun, targetSnapshot } from '../../runs.js';
import { withRewind, type CommandEnv } from '../action.js';
import { cliPerson } from '../identity.js';
import { EXIT, exitCodeFor } from '../io.js';
import { outcomeLines } from '../render.js';
import { watchRun } from '../watch.js';

interface RollbackOptions { env: string; to?: string; incident?: string; reason: string; yes?: boolean; as?: string; json?: boolean; wait: boolean }

export function addRollback(program: Command, env: CommandEnv): void {
  program.command('rollback')
    .description('revert the last promotion (or --to <sha>) of an app in one environment, through Git')
    .argument('<app>', 'app name from rewind.yaml')
    .requiredOption('--env <env>', 'environment, e.g. staging or prod')
    .option('--to <sha>', 'revert this commit instead of the newest promotion')
    .option('--incident <id>', 'incident id for the commit trailer and the timeline')
    .requiredOption('--reason <text>', 'why: goes into the revert commit and the timeline')
    .option('--yes', 'approve in advance, where the approval policy allows it (allowCliYes)')
    .option('--as <handle>', 'act as this person from rewind.yaml (default $REWIND_USER, then the OS user)')
    .option('--json', 'print only the final run status as JSON on stdout')
    .option('--no-wait', 'print the run id and return once the run has started')
    .action((app: string, o: RollbackOptions) => rollback(env, app, o));
}

async function rollback(env: CommandEnv, app: string, o: RollbackOptions): Promise<void> {
  const { io } = env;
  let requester: ReturnType<typeof cliPerson>;
  await withRewind(env, async ({ rw, cfg }) => {
    const started = await startRun(rw, {
      runbook: 'rollback', app, env: o.env, requester, reason: o.reason, source: 'cli',
      ...(o.to !== undefined ? { commit: o.to } : {}), ...(o.incident !== undefined ? { incidentId: o.incident } : {}), ...(o.yes ? { preApproved: true } : {}),
    });
    const say = o.json ? io.err : io.out;
    say(`Started ${started.workflowId} (run ${started.runId}): rollback of ${started.target.app}/${started.target.env} for ${requester.handle}.`);
    if (!o.wait) {
      if (o.json) io.out(JSON.stringify({ workflowId: started.workflowId, runId: started.runId }));
      else say(`Follow it with: rewind status ${app}`);
      return EXIT.ok;
    }
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      const final = await watchRun(rw.client, started.workflowId, started.runId, targetSnapshot(cfg, app, o.env), say, { signal: stop.signal });
      if (o.json) io.out(JSON.stringify(final));
      else outcomeLines(final).forEach(io.out);
      return exitCodeFor(final.phase);
    } catch (err) {
      if (!stop.signal.aborted) throw err;
      io.err(`Stopped watching. The run goes on: rewind status ${app}`);
      return EXIT.interrupted;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }, (cfg) => { requester = cliPerson(cfg, o.as); });
}
