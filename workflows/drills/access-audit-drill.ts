/** Can you ship without CI holding cluster credentials? Every CI identity must be denied every write. */
import { drillActs } from './activities.js';
import { check, type DrillContext } from './context.js';

export async function accessAuditDrill(ctx: DrillContext): Promise<void> {
  const audit = ctx.input.audit;
  if (!audit || audit.identities.length === 0) {
    check(ctx, 'CI identities configured', false, 'ci.identities is empty in rewind.yaml');
    return;
  }
  const res = await drillActs.accessAudit(audit);
  const allowed = res.allowed.map(
    (f) => `${f.identity} may ${f.verb} ${f.group ? `${f.group}/` : ''}${f.resource} in ${f.namespace}`,
  );
  check(
    ctx,
    'CI identities hold no write rights in the cluster',
    allowed.length === 0,
    allowed.length ? allowed.join('; ') : `${res.checked} checks denied for ${audit.identities.join(', ')}`,
  );
}
