import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../../src/lib/config/load.js';
import { targetSnapshot } from '../../../src/lib/runs.js';

const example = await readFile(new URL('../../../rewind.example.yaml', import.meta.url), 'utf8');
const STAGING = '        namespace: users-api-staging\n';

/** The example with `yaml` (indented for an environment) added to users-api/staging. */
const withStaging = (yaml: string, top = '') => `${top}${example.replace(STAGING, `${STAGING}${yaml}`)}`;

function problemsOf(text: string) {
  try {
    parseConfig(text, 'rewind.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected the config to be refused');
}

const ERROR_RATE = `        verification:
          - name: error-rate
            prometheus:
              query: sum(rate(http_requests_total{code=~"5..",app="users-api"}[1m])) / \
sum(rate(http_requests_total{app="users-api"}[1m]))
              max: 0.01
              for: 2m
              format: percent
`;

describe('rewind.yaml verification and autoRollback', () => {
  it('snapshots checks with their windows in ms and the committed trigger', () => {
    const cfg = parseConfig(
      withStaging(
        `${ERROR_RATE}        autoRollback: { when: [error-rate], cooldown: 45m }\n`,
        'prometheus: { url: "http://prometheus.monitoring:9090/" }\n',
      ),
    );
    assert.ok(example.includes(STAGING));
    const t = targetSnapshot(cfg, 'users-api', 'staging');
    assert.deepEqual(t.verification, {
      checks: [
        {
          name: 'error-rate',
          kind: 'prometheus',
          url: 'http://prometheus.monitoring:9090',
          query:
            'sum(rate(http_requests_total{code=~"5..",app="users-api"}[1m])) ' +
            '/ sum(rate(http_requests_total{app="users-api"}[1m]))',
          max: 0.01,
          forMs: 120_000,
          everyMs: 15_000,
          withinMs: 360_000,
          format: 'percent',
        },
      ],
      autoRollback: { when: ['error-rate'], cooldownMs: 2_700_000 },
      prometheusUrl: 'http://prometheus.monitoring:9090',
    });
    assert.equal(
      targetSnapshot(cfg, 'users-api', 'prod').verification?.checks.length,
      0,
      'prod declares none (it only learns where Prometheus is)',
    );
  });

  it('refuses an autoRollback trigger that names no check, with the file, the line and the fix', () => {
    const text = withStaging(
      `${ERROR_RATE}        autoRollback: { when: [error-rates] }\n`,
      'prometheus: { url: "http://prom:9090" }\n',
    );
    const [p, ...rest] = problemsOf(text);
    assert.equal(rest.length, 0);
    assert.equal(p!.path, 'apps.users-api.environments.staging.autoRollback.when.0');
    assert.equal(p!.line, text.split('\n').findIndex((l) => l.includes('autoRollback: { when: [error-rates] }')) + 1);
    assert.match(p!.message, /unknown check "error-rates"/);
    assert.match(p!.fix, /error-rate/);
  });

  it('autoRollback may name the rollout gate, health; a check may not take its name', () => {
    const cfg = parseConfig(
      withStaging(
        `${ERROR_RATE}        autoRollback: { when: [error-rate, health] }\n`,
        'prometheus: { url: "http://prom:9090" }\n',
      ),
    );
    assert.deepEqual(targetSnapshot(cfg, 'users-api', 'staging').verification?.autoRollback?.when, [
      'error-rate',
      'health',
    ]);
    const [p] = problemsOf(
      withStaging('        verification:\n          - name: health\n            http: { url: "http://a/healthz" }\n'),
    );
    assert.match(p!.message, /"health" is the name of the rollout gate/);
  });

  it('refuses a prometheus check when no Prometheus is named, and autoRollback without checks', () => {
    const [p] = problemsOf(withStaging(ERROR_RATE));
    assert.equal(p!.path, 'apps.users-api.environments.staging.verification.0.prometheus');
    assert.match(p!.fix, /prometheus\.url/);
    const [q] = problemsOf(withStaging('        autoRollback: { when: [error-rate] }\n'));
    assert.equal(q!.path, 'apps.users-api.environments.staging.autoRollback');
  });

  it(
    'refuses a check that is two kinds at once, a threshold-less ' +
      'query, a window shorter than for, and a name used twice',
    () => {
      const two = problemsOf(
        withStaging(
          '        verification:\n          - name: smoke\n            http: { ' +
            'url: "http://a/healthz" }\n            analysis: { rollout: users-api }\n',
        ),
      );
      assert.match(two[0]!.message, /exactly one of prometheus, http or analysis/);
      const none = problemsOf(
        withStaging(
          '        verification:\n          - name: q\n' +
            '            prometheus: { query: up, url: "http://prom:9090" }\n',
        ),
      );
      assert.match(none[0]!.message, /needs a threshold/);
      const short = problemsOf(
        withStaging(
          '        verification:\n          - name: q\n            prometheus: ' +
            '{ query: up, min: 1, for: 5m, within: 1m, url: "http://prom:9090" }\n',
        ),
      );
      assert.match(short[0]!.message, /within \(1m\) is shorter than for \(5m\)/);
      const twice = problemsOf(
        withStaging(
          '        verification:\n          - name: smoke\n            http: { url: "http://a/healthz" }\n' +
            '          - name: smoke\n            http: { url: "http://b/healthz" }\n',
        ),
      );
      assert.equal(twice[0]!.path, 'apps.users-api.environments.staging.verification.1.name');
    },
  );
});
