/** A small rewind.yaml for unit tests of the Slack and CLI entry points (no systems behind it). */
import { parseConfig } from '../../../src/lib/config/load.js';

export const CONFIG_YAML = `
slack: { defaultChannel: C_INCIDENTS }
people:
  alice: { name: Alice Ops, email: alice@acme.test, slack: U_ALICE }
  bob: { name: Bob Lead, email: bob@acme.test, slack: U_BOB }
  mallory: { name: Mallory Intern, email: mallory@acme.test, slack: U_MALLORY }
  nobody: { name: No Slack, email: nobody@acme.test }
# The CLI entry points are tested with typed names (--as); src/app/cli/identity.ts has its own tests.
cli: { allowClaimedIdentity: true }
clusters: { sandbox: {} }
repos: { config: { url: /tmp/config.git } }
apps:
  users-api:
    owners: [alice]
    approvers: [bob]
    channel: C_USERS_API
    environments:
      staging: { cluster: sandbox, engine: { kind: argocd, name: users-api-staging }, repo: config, \
path: apps/users-api/overlays/staging, namespace: users-api-staging, workloads: [deployment/users-api] }
      prod: { cluster: sandbox, engine: { kind: argocd, name: users-api-prod }, repo: config, \
path: apps/users-api/overlays/prod, namespace: users-api-prod, workloads: [deployment/users-api] }
  billing-worker:
    owners: [bob]
    approvers: [alice]
    environments:
      prod: { cluster: sandbox, engine: { kind: flux, name: billing-worker-prod }, repo: config, \
path: apps/billing-worker/prod, namespace: billing-worker-prod, workloads: [deployment/billing-worker] }
`;

export const testConfig = () => parseConfig(CONFIG_YAML, 'test rewind.yaml');
