import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeFluxPath } from '../../../activities/gitops/flux.js';
import { migrationWordIn, migrationsIn, rollbackContractOf } from '../../../src/lib/git/promotion-risks.js';
import { dependencyMigrations } from '../../../workflows/migration-dependencies.js';
import type { EngineState, PromotionDescription } from '../../../workflows/types.js';
import type { KubeObject } from '../../../src/lib/gitops/render.js';

const job = (name: string, image: string, extra: Partial<KubeObject['metadata']> = {}, command?: string[]) =>
  ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'users-api-prod', ...extra },
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'm', image, ...(command ? { command } : {}) }] },
      },
    },
  }) as KubeObject;
const deployment = (image: string, annotations?: Record<string, string>) =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'users-api', namespace: 'users-api-prod', ...(annotations ? { annotations } : {}) },
    spec: { template: { spec: { containers: [{ name: 'users-api', image }] } } },
  }) as KubeObject;

describe('migrationsIn', () => {
  it('names a migration Job the promotion added, and an Argo CD PreSync hook whose image it changed', () => {
    const hook = (tag: string) =>
      job('users-api-db', `ghcr.io/acme/users-api:${tag}`, { annotations: { 'argocd.argoproj.io/hook': 'PreSync' } }, [
        '/app/bin/migrate',
        'up',
      ]);
    const hints = migrationsIn(
      [deployment('ghcr.io/acme/users-api:1.42.0'), hook('1.42.0')],
      [deployment('ghcr.io/acme/users-api:1.43.0'), hook('1.43.0'), job('schema-2026-12', 'ghcr.io/acme/tools:1')],
    );
    assert.deepEqual(hints, [
      {
        object: 'batch/Job/users-api-prod/schema-2026-12',
        why: 'job/schema-2026-12 looks like a migration by its name schema-2026-12, and the promotion added it',
      },
      {
        object: 'batch/Job/users-api-prod/users-api-db',
        why:
          'job/users-api-db (Argo CD PreSync hook) looks like a migration ' +
          'by its command "/app/bin/migrate up", and the promotion changed it',
      },
    ]);
  });
  it('ignores Jobs the promotion left alone, Jobs that migrate nothing, and Deployments', () => {
    const same = job('flyway-migrate', 'flyway/flyway:10');
    assert.deepEqual(
      migrationsIn(
        [same],
        [same, job('nightly-report', 'ghcr.io/acme/report:2'), deployment('ghcr.io/acme/migrator:1')],
      ),
      [],
    );
  });
  it('reads the tool from the image name, not from a tag', () => {
    assert.equal(migrationsIn([], [job('pre-release', 'flyway/flyway:10')]).length, 1);
    assert.equal(migrationsIn([], [job('pre-release', 'ghcr.io/acme/app:migrate-fix')]).length, 0);
  });
});

describe('rollbackContractOf', () => {
  const after = [deployment('x:2', { 'rewind.dev/rollback-contract': 'manual' })];
  const changed = new Set(['apps/Deployment/users-api-prod/users-api']);
  it('takes the strictest of the trailer and the annotations of changed objects', () => {
    assert.deepEqual(rollbackContractOf(['impossible'], after, changed), {
      contract: 'impossible',
      from: 'the commit trailer Rollback-Contract',
    });
    assert.deepEqual(rollbackContractOf([], after, changed), {
      contract: 'manual',
      from: 'the rewind.dev/rollback-contract annotation of deployment/users-api',
    });
    assert.deepEqual(rollbackContractOf(['Automatic'], [], new Set()), {
      contract: 'automatic',
      from: 'the commit trailer Rollback-Contract',
    });
  });
  it(
    'ignores the annotation of an object the promotion did ' + 'not change, and says so of a value it does not know',
    () => {
      assert.equal(rollbackContractOf([], after, new Set()), undefined);
      assert.deepEqual(rollbackContractOf(['never'], [], new Set()), {
        contract: 'unknown',
        from: 'the commit trailer Rollback-Contract',
        value: 'never',
      });
    },
  );
});

describe('migrations that ship beside the app (Flux dependsOn)', () => {
  const engine = (dependsOn: EngineState['dependsOn']): EngineState => ({
    engine: 'flux',
    syncStatus: 'Synced',
    health: 'Healthy',
    autoSync: { engine: 'flux', suspend: false },
    resourceVersion: '1',
    ...(dependsOn ? { dependsOn } : {}),
  });
  const promotion = (files: string[]) => ({ sha: 'a'.repeat(40), files }) as unknown as PromotionDescription;
  const dep = {
    name: 'users-api-prod-migrations',
    namespace: 'flux-system',
    path: 'db/users',
    migration: 'its name x',
  };

  it('names a migration dependency whose files the promotion changed, and no other', () => {
    assert.deepEqual(
      dependencyMigrations(
        'users-api-prod',
        engine([dep]),
        promotion(['apps/users-api/prod/deployment.yaml', 'db/users/002.yaml']),
      ),
      [
        {
          object: 'kustomization/flux-system/users-api-prod-migrations',
          why:
            'kustomization flux-system/users-api-prod-migrations, which users-api-prod dependsOn, looks like a ' +
            'migration by its name x, and the promotion changed what it applies (db/users/002.yaml)',
        },
      ],
    );
    assert.deepEqual(dependencyMigrations('u', engine([dep]), promotion(['db/users-other/1.yaml', 'db/user'])), []);
    assert.deepEqual(
      dependencyMigrations('u', engine([{ ...dep, migration: undefined }]), promotion(['db/users/1.yaml'])),
      [],
    );
    assert.deepEqual(
      dependencyMigrations('u', engine([{ name: 'n', namespace: 'f', migration: 'm' }]), promotion(['db/users/1'])),
      [],
      'a dependency on another source: its path says nothing about this repository',
    );
    assert.deepEqual(dependencyMigrations('u', engine(undefined), promotion(['db/users/1.yaml'])), [], 'older plans');
    const many = dependencyMigrations(
      'u',
      engine([dep]),
      promotion(['db/users/1', 'db/users/2', 'db/users/3', 'db/users/4']),
    );
    assert.match(many[0]!.why, /\(db\/users\/1, db\/users\/2, db\/users\/3 and 1 more\)$/);
  });

  it('reads Flux paths as repository paths, and migration words in names and paths', () => {
    assert.equal(normalizeFluxPath('./apps/x/'), 'apps/x');
    assert.equal(normalizeFluxPath('apps/x'), 'apps/x');
    assert.equal(normalizeFluxPath('./'), '');
    assert.equal(migrationWordIn('users-api-prod-migrations'), true);
    assert.equal(migrationWordIn('db/schema'), true);
    assert.equal(migrationWordIn('users-api-prod-config'), false);
  });
});
