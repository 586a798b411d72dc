/**
 * `rewind emergency`: start the emergency-change runbook (pause auto-sync, change live, commit
 * the same change to Git, resume), print the plan (each field before → after, the Git files) and
 * each step, and exit with the outcome. A run that ends up holding its pause needs a person: the
 * command says why and how to resolve or abandon it, and exits 2 without waiting further.
 */
import type { Command } from 'commander';
import { parseChange } from '../../emergency/parse-change.js';
import { RefusedError, startRun, targetSnapshot } from '../../runs.js';
import type { LiveChange, PersonRef, TargetSnapshot } from '../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import { cliPerson } from '../identity.js';
import { followRun } from '../follow-run.js';
import { heldLines, outcomeLines } from '../render.js';

interface EmergencyOptions { env: string; change: string[]; gitFile?: string; gitPath?: string; incident?: string; reason: string; yes?: boolean; as?: string; json?: boolean; wait: boolean }

const collect = (value: string, previous: string[]) => [...previous, value];

export function addEmergency(program: Command, env: CommandEnv): void {
  program.command('emergency')
    .description('change an app live during an incident, then hold the change in Git before auto-sync resumes')
    .argument('<app>', 'app name from rewind.yaml')
    .requiredOption('--env <env>', 'environment, e.g. prod')
    .option('--change <change>', 'a live change, repeatable: "configmap/NAME KEY=VALUE…", "deployment/NAME image=REF", "deployment/NAME[:CONTAINER] env KEY=VALUE" or "KIND/NAME {json merge patch}"', collect, [])
    .option('--git-file <path>', 'with one --change: the repo file that holds it in Git, when rewind cannot find it')
    .option('--git-path <yaml.path>', 'with --git-file: the dotted YAML path of the field inside that file, e.g. data.DB_HOST or data[app.properties]')
    .requiredOption('--reason <text>', 'why: goes into the Git commit and the timeline')
    .option('--incident <id>', 'incident id for the commit trailer and the timeline')
    .option('--yes', 'approve in advance, where the approval policy allows it (allowCliYes)')
    .option('--as <handle>', 'act as this person from rewind.yaml (default $REWIND_USER, then the OS user)')
    .option('--json', 'print only the final run status as JSON on stdout')
    .option('--no-wait', 'print the run id and return once the run has started')
    .action((app: string, o: EmergencyOptions) => emergency(env, app, o));
}

async function emergency(env: CommandEnv, app: string, o: EmergencyOptions): Promise<void> {
  const { io } = env;
  let requester: PersonRef, target: TargetSnapshot, changes: LiveChange[];
  await withRewind(env, async ({ rw }) => {
    const started = await startRun(rw, {
      runbook: 'emergency-change', app, env: o.env, requester, reason: o.reason, source: 'cli', changes,
      ...(o.incident !== undefined ? { incidentId: o.incident } : {}), ...(o.yes ? { preApproved: true } : {}),
    });
    return followRun(io, rw, {
      started, what: 'emergency change', requester: requester.handle, ...(o.json ? { json: true } : {}), wait: o.wait,
      outcome: (final) => (final.phase === 'held-paused' ? heldLines(final) : outcomeLines(final)),
      jsonNotes: (final) => (final.phase === 'held-paused' ? heldLines(final) : []),
    });
  }, (cfg) => {
    // All local: who asks, the target and the changes are checked before connecting to Temporal.
    requester = cliPerson(cfg, o.as);
    target = targetSnapshot(cfg, app, o.env);
    if (o.change.length === 0) throw new RefusedError(`say what to change live: --change "configmap/NAME KEY=VALUE" (repeat --change for more than one object)`, 'bad-input');
    changes = o.change.map((c) => parseChange(c, target.namespace));
    if ((o.gitFile === undefined) !== (o.gitPath === undefined)) throw new RefusedError('give --git-file and --git-path together', 'bad-input');
    if (o.gitFile !== undefined) {
      if (changes.length !== 1) throw new RefusedError('--git-file/--git-path name the Git place of one change: give exactly one --change with them', 'bad-input');
      changes = [{ ...changes[0]!, gitFile: o.gitFile, gitPath: o.gitPath! }];
    }
  });
}
