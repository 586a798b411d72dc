import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { cliIdentity, claimedHandle, sameServer, type IdentityDeps } from '../../../src/app/cli/identity.js';
import { ConfigError, parseConfig } from '../../../src/lib/config/load.js';
import { KubeApiError } from '../../../src/lib/kube/errors.js';
import type { KubeUserInfo } from '../../../src/lib/kube/whoami.js';
import { RefusedError } from '../../../src/lib/runs.js';

const PROD = 'https://prod.k8s.acme.test:6443';
const STAGING = 'https://staging.k8s.acme.test';

const config = (extra = '') =>
  parseConfig(
    `
${extra}
people:
  alice: { name: Alice Ops, email: alice@acme.test, kube: alice@acme.test }
  bob: { name: Bob Lead, email: bob@acme.test, kube: [bob@acme.test, "oidc:bob"] }
clusters:
  prod: { inCluster: true, server: "${PROD}" }
  staging: { context: staging, server: "${STAGING}" }
  local: { inCluster: true }
repos: { config: { url: /tmp/config.git } }
apps:
  users-api:
    owners: [alice]
    approvers: [bob]
    environments:
      prod: { cluster: prod, engine: { kind: argocd, name: users-api-prod }, repo: config, \
path: apps/users-api/overlays/prod, namespace: users-api-prod, workloads: [deployment/users-api] }
`,
    'test rewind.yaml',
  );

/** A caller's kubeconfig: one context per [name, server, user]. */
function kubeconfig(contexts: Array<[string, string, string]>, current = contexts[0]?.[0]): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: contexts.map(([name, server]) => ({ name, server, skipTLSVerify: false })),
    users: contexts.map(([, , user]) => ({ name: user, token: `token-of-${user}` })),
    contexts: contexts.map(([name, , user]) => ({ name, cluster: name, user })),
    currentContext: current ?? '',
  });
  return kc;
}

/** Deps whose SelfSubjectReview answers `answer` for the current user, and records who was asked where. */
function deps(kc: KubeConfig | undefined, answer: (user: string) => KubeUserInfo | Error, env: NodeJS.ProcessEnv = {}) {
  const asked: string[] = [];
  const d: Partial<IdentityDeps> = {
    env,
    kubeConfig: () => kc,
    async whoami(k, cluster) {
      asked.push(`${cluster} ${k.getCurrentCluster()?.server} ${k.getCurrentUser()?.name}`);
      const a = answer(k.getCurrentUser()!.name);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { d, asked };
}

const refused = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RefusedError, String(err));
  assert.equal(err.code, 'not-authorized');
  assert.match(err.message, pattern);
  return true;
};

const user = (username: string, groups: string[] = ['system:authenticated']): KubeUserInfo => ({ username, groups });

describe('CLI identity: the cluster says who runs the CLI', () => {
  it("maps the Kubernetes user of the caller's kubeconfig to the person whose kube: lists it", async () => {
    const { d, asked } = deps(kubeconfig([['prod-ctx', PROD, 'alice-oidc']]), () => user('alice@acme.test'));
    const who = await cliIdentity(config(), { cluster: 'prod' }, d);
    assert.deepEqual(who.person, { handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test' });
    assert.equal(who.via, 'kube');
    assert.equal(who.proof, 'Kubernetes user "alice@acme.test" on cluster prod');
    assert.deepEqual(
      asked,
      [`prod ${PROD} alice-oidc`],
      "one SelfSubjectReview, with the caller's own credentials, to the target's cluster",
    );
  });

  it('takes any of the user names a person lists; groups map nobody', async () => {
    const { d } = deps(kubeconfig([['prod-ctx', PROD, 'bob']]), () => user('oidc:bob'));
    assert.equal((await cliIdentity(config(), { cluster: 'prod' }, d)).person.handle, 'bob');
    const { d: byGroup } = deps(kubeconfig([['prod-ctx', PROD, 'x']]), () =>
      user('someone-else', ['alice@acme.test', 'sre']),
    );
    await assert.rejects(
      cliIdentity(config(), { cluster: 'prod' }, byGroup),
      refused(/knows you as Kubernetes user "someone-else"/),
    );
  });

  it('refuses a Kubernetes user mapped to nobody, with the line to add', async () => {
    const { d } = deps(kubeconfig([['prod-ctx', PROD, 'eve']]), () => user('eve@acme.test'));
    await assert.rejects(
      cliIdentity(config(), { cluster: 'prod' }, d),
      refused(
        /cluster prod knows you as Kubernetes user "eve@acme\.test", but no person in rewind\.yaml has it under kube:\. Ask a rewind admin to add `kube: "eve@acme\.test"` to your entry under people: \(user names only: groups are not mapped, many people share one\)\.$/,
      ),
    );
  });

  it('refuses a kubeconfig whose server is not a cluster in rewind.yaml, without asking it', async () => {
    const { d, asked } = deps(kubeconfig([['mine', 'https://evil.example:6443', 'admin']]), () =>
      user('alice@acme.test'),
    );
    await assert.rejects(
      cliIdentity(config(), { cluster: 'prod' }, d),
      refused(
        /your kubeconfig context "mine" points at https:\/\/evil\.example:6443, which is not a cluster in rewind\.yaml, and the target runs on cluster prod \(https:\/\/prod\.k8s\.acme\.test:6443\): rewind does not take the word of a server it does not trust/,
      ),
    );
    await assert.rejects(
      cliIdentity(config(), {}, d),
      refused(
        /which is not a cluster in rewind\.yaml \(prod \(https:\/\/prod\.k8s\.acme\.test:6443\), staging \(https:\/\/staging\.k8s\.acme\.test\)\)/,
      ),
    );
    assert.deepEqual(asked, [], 'the untrusted server was never asked');
  });

  it("only the target's cluster vouches for who acts on it, and the refusal names the context that would", async () => {
    const kc = kubeconfig(
      [
        ['staging-ctx', STAGING, 'alice'],
        ['prod-ctx', PROD, 'alice'],
      ],
      'staging-ctx',
    );
    const { d, asked } = deps(kc, () => user('alice@acme.test'));
    await assert.rejects(
      cliIdentity(config(), { cluster: 'prod' }, d),
      refused(
        /context "staging-ctx" points at https:\/\/staging\.k8s\.acme\.test, which is cluster staging in rewind\.yaml, but the target runs on cluster prod \(.*\): only that cluster may say who acts on it\. Use --kube-context prod-ctx\./,
      ),
    );
    assert.equal((await cliIdentity(config(), { cluster: 'prod', kubeContext: 'prod-ctx' }, d)).person.handle, 'alice');
    const fresh = kubeconfig(
      [
        ['staging-ctx', STAGING, 'alice'],
        ['prod-ctx', PROD, 'alice'],
      ],
      'staging-ctx',
    );
    assert.equal(
      (await cliIdentity(config(), {}, deps(fresh, () => user('alice@acme.test')).d)).proof,
      'Kubernetes user "alice@acme.test" on cluster staging',
      'no target: any cluster in rewind.yaml',
    );
    assert.deepEqual(asked, [`prod ${PROD} alice`]);
  });

  it('refuses where rewind.yaml names no server the CLI could check (in-cluster, default kubeconfig)', async () => {
    const { d } = deps(kubeconfig([['local', 'https://10.0.0.1', 'alice']]), () => user('alice@acme.test'));
    await assert.rejects(
      cliIdentity(config(), { cluster: 'local' }, d),
      refused(/rewind\.yaml names no API server for cluster local .*set clusters\.<name>\.server/),
    );
  });

  it(
    'refuses without a kubeconfig, with an unknown --kube-context, ' +
      'and when the cluster does not accept the credentials',
    async () => {
      await assert.rejects(
        cliIdentity(config(), {}, deps(undefined, () => user('x')).d),
        refused(/rewind proves who you are from your kubeconfig, and found none/),
      );
      const kc = kubeconfig([['prod-ctx', PROD, 'alice']]);
      await assert.rejects(
        cliIdentity(config(), { kubeContext: 'nope' }, deps(kc, () => user('x')).d),
        refused(/your kubeconfig has no context "nope"; its contexts: prod-ctx/),
      );
      const expired = new KubeApiError(
        401,
        'Unauthorized',
        'Unauthorized',
        'POST',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      );
      await assert.rejects(
        cliIdentity(config(), { cluster: 'prod' }, deps(kc, () => expired).d),
        refused(
          /cluster prod \(https:\/\/prod\.k8s\.acme\.test:6443\) did not accept the credentials of your kubeconfig context "prod-ctx" \(user alice\).*Log in again/,
        ),
      );
    },
  );
});

describe('CLI identity: a typed name (--as, REWIND_USER)', () => {
  const never = deps(undefined, () => {
    throw new Error('the cluster must not be asked');
  });

  it('is refused unless rewind.yaml allows it, naming the key and the proven alternative', async () => {
    await assert.rejects(
      cliIdentity(config(), { as: 'bob' }, never.d),
      refused(
        /^--as "bob" is refused: rewind\.yaml does not let the CLI act as a typed name \(cli\.allowClaimedIdentity is false\).*Drop --as: rewind asks the cluster who your kubeconfig is \(as kubectl auth whoami does\) and maps that Kubernetes user to you through people\.<handle>\.kube in rewind\.yaml; pick the context with --kube-context\.$/,
      ),
    );
    await assert.rejects(
      cliIdentity(config(), {}, { ...never.d, env: { REWIND_USER: 'bob' } }),
      refused(/^REWIND_USER "bob" is refused: .*cli\.allowClaimedIdentity is false/),
    );
  });

  it('counts where cli.allowClaimedIdentity is true, as "claimed"', async () => {
    const allowing = config('cli: { allowClaimedIdentity: true }');
    const who = await cliIdentity(allowing, { as: 'bob' }, never.d);
    assert.equal(who.person.handle, 'bob');
    assert.equal(who.via, 'claimed');
    await assert.rejects(
      cliIdentity(allowing, { as: 'eve' }, never.d),
      refused(/"eve" is not a person in rewind\.yaml; add them under people:/),
    );
    const { d } = deps(kubeconfig([['prod-ctx', PROD, 'x']]), () => user('nobody@acme.test'));
    await assert.rejects(
      cliIdentity(allowing, { cluster: 'prod' }, d),
      refused(
        /Or, since this rewind\.yaml allows typed identities \(cli\.allowClaimedIdentity\), name yourself with --as <handle>\.$/,
      ),
    );
  });

  it('prefers --as to REWIND_USER; blank values do not count', () => {
    assert.deepEqual(claimedHandle('bob', { REWIND_USER: 'alice' }), { handle: 'bob', source: 'flag' });
    assert.deepEqual(claimedHandle(undefined, { REWIND_USER: ' alice ' }), { handle: 'alice', source: 'env' });
    assert.equal(claimedHandle('  ', { REWIND_USER: ' ' }), undefined);
  });
});

describe('identity keys in rewind.yaml', () => {
  it(
    'defaults: no typed identities; proven decisions required in ' +
      'prod environments only, also when the prod policy is written out',
    () => {
      const cfg = config();
      assert.equal(cfg.cli.allowClaimedIdentity, false);
      assert.equal(cfg.defaults.approval.prod.requireProvenIdentity, true);
      assert.equal(cfg.defaults.approval.other.requireProvenIdentity, false);
      const written = config('defaults: { approval: { prod: { required: true, minApprovers: 1 } } }');
      assert.equal(written.defaults.approval.prod.requireProvenIdentity, true);
    },
  );

  it('refuses one Kubernetes user mapped to two people, and a blank one', () => {
    const yaml = (kube: string) =>
      `people:\n  alice: { name: A, email: a@acme.test, kube: alice }\n` +
      `  bob: { name: B, email: b@acme.test, kube: ${kube} }\n`;
    assert.throws(
      () => parseConfig(yaml('[bob, alice]'), 'r.yaml'),
      (err: unknown) =>
        err instanceof ConfigError &&
        /r\.yaml:3:\d+: people\.bob\.kube\.1: Kubernetes user "alice" is mapped to alice too\. Fix: map each Kubernetes user to one person/.test(
          err.message,
        ),
    );
    assert.throws(() => parseConfig(yaml('"  "'), 'r.yaml'), ConfigError);
  });

  it('compares API servers as URLs: host case, default port, trailing slash', () => {
    assert.ok(sameServer('https://Prod.K8s.acme.test/', 'https://prod.k8s.acme.test:443'));
    assert.ok(!sameServer('https://prod.k8s.acme.test:6443', 'https://prod.k8s.acme.test'));
    assert.ok(!sameServer('https://prod.k8s.acme.test', 'http://prod.k8s.acme.test'));
  });
});
