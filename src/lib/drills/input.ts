/** A drill's input, snapshotted from rewind.yaml and the runbooks (as runs snapshot theirs). */
import { parseDuration } from '../config/duration.js';
import { didYouMean } from '../did-you-mean.js';
import { shown } from '../input-limits.js';
import type { DrillConfig, RewindConfig } from '../config/schema.js';
import { loadRunbook } from '../runbooks/load.js';
import { RefusedError, targetSnapshot } from '../runs.js';
import type { DrillInput } from '../../../workflows/drills/types.js';

export function drillConfig(cfg: RewindConfig, name: string): DrillConfig {
  const drill = cfg.drills.find((d) => d.name === name);
  if (!drill)
    throw new RefusedError(
      `no drill ${shown(name, 60)} in rewind.yaml${didYouMean(
        name,
        cfg.drills.map((d) => d.name),
      )}; drills: ${cfg.drills.map((d) => d.name).join(', ') || '(none)'}`,
      'unknown-target',
    );
  return drill;
}

export async function drillInput(
  cfg: RewindConfig,
  drill: DrillConfig,
  trigger: DrillInput['trigger'],
  requestedBy?: string,
  runbookDir?: string,
): Promise<DrillInput> {
  const target = drill.app && drill.env ? targetSnapshot(cfg, drill.app, drill.env) : undefined;
  // Checked again here (the config loader refuses it too): drills inject real faults.
  if (target && !target.drillTarget)
    throw new RefusedError(
      `${target.app}/${target.env} is not a drill target; drills only run where drillTarget: true`,
      'not-authorized',
    );
  const namespaces = [
    ...new Set(
      Object.values(cfg.apps).flatMap((a) =>
        Object.values(a.environments).flatMap((e) => [e.namespace, e.engine.namespace]),
      ),
    ),
  ];
  const firstCluster = Object.keys(cfg.clusters)[0];
  return {
    drill: {
      name: drill.name,
      kind: drill.kind,
      targets: {
        timeToDetectMs: parseDuration(drill.targets.timeToDetect)!,
        timeToRestoreMs: parseDuration(drill.targets.timeToRestore)!,
      },
      ...(drill.badTag ? { badTag: drill.badTag } : {}),
      ...((drill.channel ?? target?.channel) ? { channel: drill.channel ?? target?.channel } : {}),
    },
    ...(target ? { target } : {}),
    ...(drill.kind === 'access-audit' && firstCluster
      ? { audit: { cluster: firstCluster, identities: cfg.ci.identities, namespaces } }
      : {}),
    runbooks: {
      rollback: await loadRunbook('rollback', runbookDir),
      emergency: await loadRunbook('emergency-change', runbookDir),
    },
    trigger,
    ...(requestedBy ? { requestedBy } : {}),
  };
}
