/**
 * What a revert of a promotion cannot undo, answered before approval (the design's rollback
 * runbook, steps 3 and 4):
 * - **Migrations.** A Job or sync hook that the promotion added or changed, and that looks like a
 *   database migration, ran when the promotion synced. Reverting brings the old image back onto
 *   the migrated schema; it does not run the migration backwards.
 * - **The rollback contract** the promotion declares: a `Rollback-Contract:` commit trailer, or the
 *   `rewind.dev/rollback-contract` annotation on an object it changed. `automatic`: a revert is
 *   safe. `manual`: a revert needs the steps its author wrote down. `impossible`: a revert would
 *   make things worse (a one-way migration, a changed data format); roll forward instead.
 */
import type { MigrationHint, RollbackContract } from '../../../workflows/types.js';
import { objectKey, type KubeObject } from '../gitops/render.js';
import { podSpec } from './rendered-diff.js';

export const ROLLBACK_CONTRACT_ANNOTATION = 'rewind.dev/rollback-contract';
export const ROLLBACK_CONTRACTS = ['automatic', 'manual', 'impossible'] as const;

/** Words in a Job's name, image or command that name a schema migration, and the tools that run them. */
const MIGRATION_WORDS =
  /migrat|schema|flyway|liquibase|alembic|dbmate|goose|sqitch|db[-_:]?(?:upgrade|update|setup)|knex|sequelize|prisma/i;
/** True when a name or path reads like a schema migration (a Flux Kustomization's, say). */
export const migrationWordIn = (text: string): boolean => MIGRATION_WORDS.test(text);
const ARGO_HOOK = 'argocd.argoproj.io/hook';
const HELM_HOOK = 'helm.sh/hook';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What in the object says "migration": its name, a container's image, command or args. */
function migrationWord(o: KubeObject): string | undefined {
  if (MIGRATION_WORDS.test(o.metadata.name)) return `its name ${o.metadata.name}`;
  const spec = podSpec(o);
  const containers = [spec?.initContainers, spec?.containers].flatMap((c) => (Array.isArray(c) ? c : []));
  for (const c of containers.filter(isObj)) {
    if (typeof c.image === 'string' && MIGRATION_WORDS.test(c.image.split('@')[0]!.replace(/:[^/]*$/, '')))
      return `its image ${c.image}`;
    const argv = [c.command, c.args].flatMap((x) => (Array.isArray(x) ? x.map(String) : [])).join(' ');
    if (MIGRATION_WORDS.test(argv)) return `its command "${argv.length > 80 ? `${argv.slice(0, 80)}…` : argv}"`;
  }
  return undefined;
}

/** The sync hook an object is, as Argo CD (or Helm, which Argo CD maps to its hooks) declares it. */
function hookOf(o: KubeObject): string | undefined {
  const a = o.metadata.annotations ?? {};
  if (a[ARGO_HOOK]) return `Argo CD ${a[ARGO_HOOK]} hook`;
  if (a[HELM_HOOK]) return `Helm ${a[HELM_HOOK]} hook`;
  return undefined;
}

const canonical = (o: KubeObject): string => JSON.stringify(podSpec(o) ?? o.spec ?? null);

/**
 * Jobs and Pods (plain or as sync hooks) that the promotion added or whose spec it changed, and
 * that look like migrations. A hook that did not change still ran on the promotion's sync, but it
 * ran what it ran before: nothing new to undo.
 */
export function migrationsIn(before: readonly KubeObject[], after: readonly KubeObject[]): MigrationHint[] {
  const was = new Map(before.map((o) => [objectKey(o), o]));
  const hints: MigrationHint[] = [];
  for (const o of after) {
    if (o.kind !== 'Job' && o.kind !== 'Pod') continue;
    const prior = was.get(objectKey(o));
    if (prior && canonical(prior) === canonical(o)) continue;
    const word = migrationWord(o);
    if (!word) continue;
    const hook = hookOf(o);
    hints.push({
      object: objectKey(o),
      why:
        `${o.kind.toLowerCase()}/${o.metadata.name}${hook ? ` (${hook})` : ''} looks ` +
        `like a migration by ${word}, and the promotion ${prior ? 'changed' : 'added'} it`,
    });
  }
  return hints.sort((a, b) => a.object.localeCompare(b.object));
}

/**
 * The contract the promotion declares, strictest first when several do; undefined when none does.
 * A value rewind does not know is reported as such (`unknown`), never guessed.
 */
export function rollbackContractOf(
  trailers: readonly string[],
  after: readonly KubeObject[],
  changed: ReadonlySet<string>,
): RollbackContract | undefined {
  const declared: Array<{ value: string; from: string }> = [
    ...trailers.map((value) => ({ value, from: 'the commit trailer Rollback-Contract' })),
    ...after
      .filter((o) => changed.has(objectKey(o)) && o.metadata.annotations?.[ROLLBACK_CONTRACT_ANNOTATION])
      .map((o) => ({
        value: o.metadata.annotations![ROLLBACK_CONTRACT_ANNOTATION]!,
        from: `the ${ROLLBACK_CONTRACT_ANNOTATION} annotation of ${o.kind.toLowerCase()}/${o.metadata.name}`,
      })),
  ];
  const bad = declared.find((d) => !(ROLLBACK_CONTRACTS as readonly string[]).includes(d.value.trim().toLowerCase()));
  if (bad) return { contract: 'unknown', from: bad.from, value: bad.value };
  for (const level of ['impossible', 'manual', 'automatic'] as const) {
    const d = declared.find((x) => x.value.trim().toLowerCase() === level);
    if (d) return { contract: level, from: d.from };
  }
  return undefined;
}
