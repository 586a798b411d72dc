/**
 * The rewind.yaml the entry-point security and fuzz tests run against: two apps (one with several
 * environments, one with a single prod environment), people with and without Slack ids, and
 * drills of every shape, so every command has something real to refuse or accept.
 */
import { parseConfig } from '../../../src/lib/config/load.js';

export const ENTRY_CONFIG_YAML = `
temporal: { address: "127.0.0.1:1", uiUrl: "http://127.0.0.1:8233" }
slack: { defaultChannel: C_INCIDENTS }
people:
  alice: { name: Alice Ops, email: alice@acme.test, slack: U_ALICE }
  bob: { name: Bob Lead, email: bob@acme.test, slack: U_BOB }
  carol: { name: Carol Sre, email: carol@acme.test, slack: U_CAROL }
  mallory: { name: Mallory Intern, email: mallory@acme.test, slack: U_MALLORY }
# The CLI entry points are tested with typed names (--as); src/app/cli/identity.ts has its own tests.
cli: { allowClaimedIdentity: true }
clusters: { sandbox: {} }
repos: { config: { url: /tmp/rewind-unit-config.git, branch: main, webUrl: "https://git.acme.test/config" } }
apps:
  users-api:
    owners: [alice, carol]
    approvers: [bob, carol]
    channel: C_USERS_API
    environments:
      dev: { cluster: sandbox, engine: { kind: argocd, name: users-api-dev }, repo: config, \
path: apps/users-api/overlays/dev, namespace: users-api-dev, workloads: [deployment/users-api], drillTarget: true }
      staging: { cluster: sandbox, engine: { kind: argocd, name: users-api-staging }, repo: config, \
path: apps/users-api/overlays/staging, namespace: users-api-staging, workloads: [deployment/users-api], \
drillTarget: true }
      prod: { cluster: sandbox, engine: { kind: argocd, name: users-api-prod }, repo: config, \
path: apps/users-api/overlays/prod, namespace: users-api-prod, workloads: [deployment/users-api] }
  billing-worker:
    owners: [bob]
    approvers: [alice]
    environments:
      prod: { cluster: sandbox, engine: { kind: flux, name: billing-worker-prod }, repo: config, \
path: apps/billing-worker/prod, namespace: billing-worker-prod, workloads: [deployment/billing-worker] }
ci: { identities: [ci-bot] }
drills:
  - { name: users-api-staging-rollback, kind: rollback, app: users-api, env: staging, badTag: 0.0.0-drill-broken, \
schedule: { cron: "0 10 * * 2", timezone: Europe/Berlin } }
  - { name: users-api-dev-drift, kind: drift, app: users-api, env: dev }
  - { name: ci-access-audit, kind: access-audit, schedule: { cron: "0 9 * * 1" } }
`;

export const entryConfig = () => parseConfig(ENTRY_CONFIG_YAML, 'entry rewind.yaml');

/** Every name the object prototype answers to: what a plain `record[name]` lookup would find. */
export const PROTOTYPE_KEYS: readonly string[] = [
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype']),
];

/** Text that must never reach a person: internals leaking out of a refusal. */
export const LEAKS =
  /Cannot read propert|Cannot convert undefined|is not a function|is not iterable|\bundefined\b|\[object Object\]|\bNaN\b|Invalid time value|Maximum call stack|^\s+at .+:\d+:\d+\)?$|TypeError|ReferenceError|RangeError/m;
