import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { runCli } from '../../../src/app/cli/program.js';
import { parseDuration } from '../../../src/lib/config/duration.js';
import { configJsonSchema, DURATION_PATTERN } from '../../../src/lib/config/json-schema.js';
import { ConfigError, parseConfig } from '../../../src/lib/config/load.js';
import { worldConfig } from '../../../src/sandbox/world/world-config.js';

const read = (p: string) => readFile(new URL(`../../../${p}`, import.meta.url), 'utf8');
const example = await read('rewind.example.yaml');

function validator() {
  // A small, independent validator: if zod's export and the loader ever disagree, these tests say so.
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // zod emits format "email" and "uri"; ajv knows neither without ajv-formats, so name them here.
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
  ajv.addFormat('uri', (s: string) => {
    try {
      return Boolean(new URL(s));
    } catch {
      return false;
    }
  });
  return ajv.compile(configJsonSchema());
}

const validate = validator();
const errorsOf = (text: string) => {
  validate(parse(text));
  return validate.errors ?? [];
};

function loaderRefuses(text: string): boolean {
  try {
    parseConfig(text);
    return false;
  } catch (err) {
    return err instanceof ConfigError;
  }
}

describe('JSON Schema of rewind.yaml', () => {
  it('is draft 2020-12 with an id and a title', () => {
    const schema = configJsonSchema();
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.title, 'rewind.yaml');
    assert.equal(schema.type, 'object');
  });

  it('accepts the shipped example, the deploy/ configs and the sandbox config', async () => {
    const sandbox = worldConfig({
      kubeconfigPath: '/tmp/kubeconfig',
      repoUrl: 'http://127.0.0.1:1/config.git',
      temporalAddress: '127.0.0.1:7233',
      taskQueue: 'rewind',
      kubeContext: 'rewind',
    }).text;
    for (const [name, text] of [
      ['rewind.example.yaml', example],
      ['deploy/base/rewind.yaml', await read('deploy/base/rewind.yaml')],
      ['deploy/overlays/example/rewind.yaml', await read('deploy/overlays/example/rewind.yaml')],
      ['sandbox', sandbox],
    ] as const) {
      assert.deepEqual(errorsOf(text), [], name);
      assert.equal(loaderRefuses(text), false, `${name}: the loader agrees`);
    }
  });

  const broken: Array<[string, string, RegExp]> = [
    ['a misspelt key', example.replace('drillTarget: true', 'drilTarget: true'), /must NOT have additional properties/],
    [
      'an unknown engine kind',
      example.replace('engine: { kind: argocd, name: users-api-prod', 'engine: { kind: argo, name: users-api-prod'),
      /must match exactly one schema in oneOf|must be equal to constant/,
    ],
    ['a duration in words', example.replace('window: 30s', 'window: 30 seconds'), /must match pattern/],
    [
      'an app without owners',
      example.replace(/^ {4}owners: \[alice\].*\n/m, ''),
      /must have required property 'owners'/,
    ],
    [
      'an app without environments',
      example.replace(/^ {4}environments:\n(?: {6}.*\n)+/m, '    environments: {}\n'),
      /must NOT have fewer than 1 properties/,
    ],
    [
      'a workload without a kind',
      example.replace('workloads: [deployment/users-api]', 'workloads: [users-api]'),
      /must match pattern/,
    ],
    ['a bad email', example.replace('email: alice@acme.test', 'email: alice'), /must match format "email"/],
    ['a string where a boolean goes', example.replace('tls: false', 'tls: "no"'), /must be boolean/],
  ];
  for (const [what, text, message] of broken) {
    it(`refuses ${what}, like the loader`, () => {
      assert.notEqual(text, example, 'the fixture changed the example');
      const errors = errorsOf(text);
      assert.ok(errors.length > 0, 'the schema refuses it');
      assert.match(errors.map((e) => `${e.instancePath} ${e.message}`).join('\n'), message);
      assert.equal(loaderRefuses(text), true, 'and so does the loader');
    });
  }

  it('says durations the way duration.ts reads them', () => {
    const re = new RegExp(DURATION_PATTERN);
    for (const s of [
      '30s',
      '5m',
      '1h30m',
      '250ms',
      '1.5h',
      '2d',
      ' 10m ',
      '30 seconds',
      '5',
      'm',
      '1h 30m',
      '',
      '-5m',
      '5M',
    ]) {
      assert.equal(re.test(s), parseDuration(s) !== undefined, JSON.stringify(s));
    }
  });

  it('`rewind config schema` prints it, with no config file and no Temporal', async () => {
    const saved = process.env.REWIND_CONFIG;
    process.env.REWIND_CONFIG = '/nonexistent/rewind.yaml';
    try {
      const out: string[] = [],
        err: string[] = [];
      const code = await runCli(['node', 'rewind', 'config', 'schema'], {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
      });
      assert.equal(code, 0, err.join('\n'));
      assert.deepEqual(JSON.parse(out.join('\n')), configJsonSchema());
    } finally {
      if (saved === undefined) delete process.env.REWIND_CONFIG;
      else process.env.REWIND_CONFIG = saved;
    }
  });
});
