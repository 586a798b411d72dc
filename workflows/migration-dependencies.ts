/**
 * A migration can ship beside the app rather than in it: a Flux Kustomization the app's one
 * `dependsOn` (e.g. `users-api-prod-migrations`, applying its Jobs first). When the promotion
 * changed files that such a dependency applies, the migration ran as it synced, and the revert,
 * which brings those files back, does not run it backwards. Pure: from the plan's two reads.
 */
import type { EngineState, MigrationHint, PromotionDescription } from './types.js';

export function dependencyMigrations(
  engineName: string,
  engine: EngineState,
  promotion: PromotionDescription,
): MigrationHint[] {
  const files = promotion.files ?? [];
  return (engine.dependsOn ?? []).flatMap((d) => {
    if (!d.migration || d.path === undefined) return [];
    const under = files.filter((f) => d.path === '' || f === d.path || f.startsWith(`${d.path}/`));
    if (!under.length) return [];
    const shown = under.slice(0, 3).join(', ') + (under.length > 3 ? ` and ${under.length - 3} more` : '');
    return [
      {
        object: `kustomization/${d.namespace}/${d.name}`,
        why:
          `kustomization ${d.namespace}/${d.name}, which ${engineName} dependsOn, looks like a migration ` +
          `by ${d.migration}, and the promotion changed what it applies (${shown})`,
      },
    ];
  });
}
