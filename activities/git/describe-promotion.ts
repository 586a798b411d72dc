/**
 * Describes a commit by what it changed in the rendered environment, layer by layer: the
 * environment is rendered at the parent and at the commit and the two object sets are compared.
 * A diff of the YAML files would say "kustomization.yaml changed"; this says "users-api:
 * ghcr.io/acme/users-api:1.41.0 → 1.42.0", or that DB_HOST changed in a base ConfigMap.
 */
import type { PromotionDescription, TargetSnapshot } from '../../workflows/types.js';
import type { CommitInfo } from '../../src/lib/git/git-read.js';
import type { RenderAt } from '../../src/lib/git/render-at-revision.js';
import { migrationsIn, rollbackContractOf } from '../../src/lib/git/promotion-risks.js';
import { diffRendered } from '../../src/lib/git/rendered-diff.js';

/** `<webUrl>/commit/<sha>`, the link form GitHub, GitLab and Gitea share. */
export const commitUrl = (target: TargetSnapshot, sha: string): string | undefined =>
  target.repo.webUrl ? `${target.repo.webUrl.replace(/\/+$/, '')}/commit/${sha}` : undefined;

/** `info` must be a commit with exactly one parent. */
export async function describePromotion(
  target: TargetSnapshot,
  info: CommitInfo,
  renderAt: RenderAt,
): Promise<PromotionDescription> {
  const parent = info.parents[0];
  if (parent === undefined) throw new Error(`commit ${info.sha} has no parent`);
  const [before, after] = [await renderAt(parent), await renderAt(info.sha)];
  const url = commitUrl(target, info.sha);
  const diff = diffRendered(before, after);
  const migrations = migrationsIn(before, after);
  const changed = new Set([
    ...diff.images.map((i) => i.object),
    ...diff.config.map((c) => c.object),
    ...diff.added,
    ...diff.otherChanged,
  ]);
  const rollbackContract = rollbackContractOf(info.rollbackContract ?? [], after, changed);
  return {
    sha: info.sha,
    parent,
    subject: info.subject,
    author: info.author,
    date: info.date,
    ...(url ? { url } : {}),
    ...diff,
    ...(migrations.length ? { migrations } : {}),
    ...(rollbackContract ? { rollbackContract } : {}),
  };
}
