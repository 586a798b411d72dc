/**
 * What changed besides the promotion: the design's drift incident is a sync that overwrote a live
 * edit (someone fixed DB_HOST by hand; the next promotion's sync put Git's value back). Rolling
 * back the image cannot help there, and after the sync the drift report finds nothing, because
 * live equals Git again. So the evidence is what the target watch journaled (the value live had,
 * who set it and when, the sync that overwrote it) and what the engine's last sync says it changed.
 * Pure: workflows call it with what the activities returned, and its text is what people read.
 */
import { shaOfRevision } from '../src/lib/git/sha.js';
import type { Overwrite, RecentOverwrites } from './watch/types.js';
import type { PromotionDescription, SyncReport, TargetSnapshot } from './types.js';

export interface EnvironmentFindings {
  /** Live edits a sync put Git's value back over, since the promotion. */
  overwritten: Overwrite[];
  /** Objects the last sync changed although the promotion did not change them in Git: live differed there. */
  untouchedByPromotion: string[];
  /** One sentence each, for the plan and the result. */
  lines: string[];
  /** The command that puts each overwritten value back through the emergency path. */
  nextCommands: string[];
  /** Whether rewind can say "nothing else changed": it watched the target and read the last sync. */
  complete: boolean;
}

const short = (rev: string | undefined) => (rev ? (shaOfRevision(rev) ?? rev).slice(0, 7) : undefined);
const shown = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
const clock = (iso: string | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : 'an unknown time');

/** The emergency path's shorthand that sets `o.path` back to the live value, when the shorthand can say it. */
export function restoreChange(o: Overwrite): string | undefined {
  if (typeof o.liveBefore !== 'string' || o.liveBefore.startsWith('(secret value')) return undefined;
  const data = /^\/data\/([^/]+)$/.exec(o.path);
  if (data && o.kind === 'ConfigMap')
    return `configmap/${o.name} ${data[1]!.replace(/~1/g, '/').replace(/~0/g, '~')}=${o.liveBefore}`;
  if (o.kind === 'Deployment' && /^\/spec\/template\/spec\/containers\/0\/image$/.test(o.path))
    return `deployment/${o.name} image=${o.liveBefore}`;
  return undefined;
}

function objectsOf(p: PromotionDescription): Set<string> {
  const keys = [
    ...p.images.map((i) => i.object),
    ...p.config.map((c) => c.object),
    ...p.added,
    ...p.removed,
    ...p.otherChanged,
  ];
  // Promotion objects are `group/Kind/namespace/name`; sync records name `Kind/namespace/name`.
  return new Set(keys.map((k) => k.split('/').slice(-3).join('/').toLowerCase()));
}

export function environmentFindings(input: {
  target: Pick<TargetSnapshot, 'app' | 'env'>;
  promotion: PromotionDescription;
  watch: RecentOverwrites;
  sync?: SyncReport;
}): EnvironmentFindings {
  const { target, promotion, watch, sync } = input;
  // An overwritten live edit that someone put back since is no longer a difference.
  const restoredLater = (o: Overwrite) =>
    watch.edits.some(
      (e) =>
        e.object === o.object &&
        e.path === o.path &&
        e.at > o.at &&
        JSON.stringify(e.after) === JSON.stringify(o.liveBefore),
    );
  const overwritten = watch.overwrites.filter((o) => o.origin === 'live-edit' && !restoredLater(o));
  const promoted = objectsOf(promotion);
  const untouchedByPromotion = (sync?.changed ?? [])
    .filter((c) => !promoted.has(`${c.kind}/${c.namespace}/${c.name}`.toLowerCase()))
    .map((c) => `${c.kind.toLowerCase()}/${c.name}`);
  const lines: string[] = [];
  const nextCommands: string[] = [];
  for (const o of overwritten) {
    const by = o.editedBy ? ` (set by ${o.editedBy} at ${clock(o.editedAt)})` : '';
    const rev = short(o.syncRevision);
    lines.push(
      `The sync${rev ? ` of ${rev}` : ''} at ${clock(o.at)} overwrote a live edit ` +
        `of ${o.object} ${o.path}: live had ${shown(o.liveBefore)}${by}, Git has ${shown(o.git)}.`,
    );
    const change = restoreChange(o);
    nextCommands.push(
      change
        ? `rewind emergency ${target.app} --env ${target.env} --change ${JSON.stringify(change)} --reason ` +
            `${JSON.stringify(`restore the live value the sync${rev ? ` of ${rev}` : ''} overwrote`)}`
        : `rewind emergency ${target.app} --env ${target.env} --change ` +
            `"${o.object} {…}" --reason "…"   (set ${o.path} back to its live value` +
            `${
              typeof o.liveBefore === 'string' && o.liveBefore.startsWith('(secret value')
                ? ', which rewind does not record for Secrets'
                : ''
            })`,
    );
  }
  // With a watch running its journal is the authority (every sync write that changed a value is in it);
  // the engine's own record, which cannot tell a live edit from its previous sync, speaks only without one.
  const seen = new Set(overwritten.map((o) => o.object));
  const unexplained = watch.watched ? [] : untouchedByPromotion.filter((o) => !seen.has(o));
  if (unexplained.length) {
    lines.push(
      `The last sync${sync?.revision ? ` (${short(sync.revision)})` : ''} also changed ${unexplained.join(', ')}, ` +
        `which the promotion did not change in Git: live differed from Git there before the ` +
        `sync${watch.watched ? '' : ', and rewind was not watching to record the earlier values'}.`,
    );
  }
  if (!watch.watched)
    lines.push(
      `rewind was not watching ${target.app}/${target.env} before the sync (its target ` +
        `watch is not running), so it cannot tell which live edits a sync overwrote.`,
    );
  return { overwritten, untouchedByPromotion, lines, nextCommands, complete: watch.watched && sync !== undefined };
}
