/**
 * `rewind emergency`: start the emergency-change runbook (pause auto-sync, change live, commit
 * the same change to Git, resume), print the plan (each field before → after, the Git files) and
 * each step, and exit with the outcome. A run that ends up holding its pause needs a person: the
 * command says why and how to resolve or abandon it, and exits 2 without waiting further.
 */
import type { Command } from 'commander';
import { GitOptionsError, parseChange, withGitOptions } from '../../../lib/emergency/parse-change.js';
import { shown } from '../../../lib/input-limits.js';
import { RefusedError } from '../../../lib/refused.js';
import type { StartRequest } from '../../../lib/runs.js';
import type { LiveChange, TargetSnapshot } from '../../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import { identityOptions } from '../identity-options.js';
import { heldLines, outcomeLines } from '../render.js';

interface EmergencyOptions {
  env: string;
  change: string[];
  gitFile?: string;
  gitPath?: string;
  gitBase?: boolean;
  incident?: string;
  reason: string;
  yes?: boolean;
  as?: string;
  kubeContext?: string;
  json?: boolean;
  wait: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addEmergency(program: Command, env: CommandEnv): void {
  identityOptions(
    program
      .command('emergency')
      .description('change an app live during an incident, then hold the change in Git before auto-sync resumes')
      .argument('<app>', 'app name from rewind.yaml')
      .requiredOption('--env <env>', 'environment, e.g. prod')
      .option(
        '--change <change>',
        'a live change, repeatable: "configmap/NAME KEY=VALUE…", "deployment/NAME image=REF", ' +
          '"deployment/NAME[:CONTAINER] env KEY=VALUE" or "KIND/NAME {json merge patch}"',
        collect,
        [],
      )
      .option('--git-file <path>', 'with one --change: the repo file that holds it in Git, when rewind cannot find it')
      .option(
        '--git-path <yaml.path>',
        'with --git-file: the dotted YAML path of the field inside ' +
          'that file, e.g. data.DB_HOST or data[app.properties]',
      )
      .option(
        '--git-base',
        'let the Git edit change other environments too: edit the shared base that defines a field ' +
          "instead of patching it in this environment's overlay (the plan lists the environments that change)",
      )
      .requiredOption('--reason <text>', 'why: goes into the Git commit and the timeline')
      .option('--incident <id>', 'incident id for the commit trailer and the timeline')
      .option('--yes', 'approve in advance, where the approval policy allows it (allowCliYes)'),
  )
    .option('--json', 'print only the final run status as JSON on stdout')
    .option('--no-wait', 'print the run id and return once the run has started')
    .action((app: string, o: EmergencyOptions) => emergency(env, app, o));
}

async function emergency(env: CommandEnv, app: string, o: EmergencyOptions): Promise<void> {
  const { io } = env;
  const [{ checkStart, checkText, startRun, targetSnapshot }, { cliIdentity }, { followRun }] = await Promise.all([
    import('../../../lib/runs.js'),
    import('../identity.js'),
    import('../follow-run.js'),
  ]);
  let req: StartRequest;
  await withRewind(
    env,
    async ({ rw }) => {
      const started = await startRun(rw, req);
      return followRun(io, rw, {
        started,
        what: 'emergency change',
        requester: req.requester.handle,
        ...(o.json ? { json: true } : {}),
        wait: o.wait,
        outcome: (final) => (final.phase === 'held-paused' ? heldLines(final) : outcomeLines(final)),
        jsonNotes: (final) => (final.phase === 'held-paused' ? heldLines(final) : []),
      });
    },
    async (cfg) => {
      // Before connecting to Temporal: the target, the changes, who asks (the target's cluster says so) and the texts.
      const target: TargetSnapshot = targetSnapshot(cfg, app, o.env);
      if (o.change.length === 0)
        throw new RefusedError(
          `say what to change live: --change "configmap/NAME KEY=VALUE" (repeat --change for more than one object)`,
          'bad-input',
        );
      for (const c of o.change) checkText('change', c, `--change ${shown(c, 40)}`);
      let changes: LiveChange[];
      try {
        changes = withGitOptions(
          o.change.map((c) => parseChange(c, target.namespace)),
          o,
        );
      } catch (err) {
        throw err instanceof GitOptionsError ? new RefusedError(err.message, 'bad-input') : err;
      }
      const who = await cliIdentity(cfg, { as: o.as, kubeContext: o.kubeContext, cluster: target.cluster });
      req = {
        runbook: 'emergency-change',
        app,
        env: o.env,
        requester: who.person,
        via: who.via,
        reason: o.reason,
        source: 'cli',
        changes,
        ...(o.incident !== undefined ? { incidentId: o.incident } : {}),
        ...(o.yes ? { preApproved: true } : {}),
      };
      checkStart(cfg, req);
    },
  );
}
