import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerChallenge, parseImageRef } from '../../../src/lib/registry/oci.js';

describe('parseImageRef', () => {
  it('splits host, name and tag or digest as container runtimes do', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseImageRef('ghcr.io/acme/users-api:1.42.0'), {
      host: 'ghcr.io',
      name: 'acme/users-api',
      reference: '1.42.0',
    });
    assert.deepEqual(parseImageRef(`registry.acme.internal:5000/team/app@${digest}`), {
      host: 'registry.acme.internal:5000',
      name: 'team/app',
      reference: digest,
    });
    assert.deepEqual(parseImageRef(`ghcr.io/acme/app:1.0@${digest}`)?.reference, digest, 'a digest wins over a tag');
    assert.deepEqual(parseImageRef('redis'), { host: 'docker.io', name: 'library/redis', reference: 'latest' });
    assert.deepEqual(parseImageRef('bitnami/redis:7.2'), {
      host: 'docker.io',
      name: 'bitnami/redis',
      reference: '7.2',
    });
    assert.deepEqual(parseImageRef('localhost/app:dev'), { host: 'localhost', name: 'app', reference: 'dev' });
  });
  it('refuses what no registry could name', () => {
    for (const bad of [
      '',
      'ghcr.io/Acme/App:1',
      'ghcr.io/acme/app:',
      'ghcr.io/acme/../x:1',
      'app:1 --rm',
      'app@sha256:zz',
    ])
      assert.equal(parseImageRef(bad), undefined, bad);
  });
});

describe('bearerChallenge', () => {
  it("reads a token service's realm, service and scope", () => {
    assert.deepEqual(
      bearerChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull"'),
      { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/app:pull' },
    );
  });
  it('is undefined for Basic, a missing header or a challenge without a realm', () => {
    assert.equal(bearerChallenge('Basic realm="Registry"'), undefined);
    assert.equal(bearerChallenge(null), undefined);
    assert.equal(bearerChallenge('Bearer service="x"'), undefined);
  });
});
