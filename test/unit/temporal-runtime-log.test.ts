import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBundlerReport } from '../../src/lib/temporal/runtime.js';

describe('Temporal logs routed into pino', () => {
  it("recognises webpack's report on the workflow bundle (logged at debug), and nothing else", () => {
    const report = [
      'asset workflow-bundle-4bfeee68a1ec13f57f54.js 2 MiB [emitted] [immutable] (name: main)',
      'runtime modules 883 bytes 4 modules',
      'modules by path ./workflows/ 134 KiB',
      'webpack 5.112.2 compiled successfully in 3162 ms',
    ].join('\n');
    assert.equal(isBundlerReport(report), true);
    assert.equal(isBundlerReport('webpack 5.112.2 compiled with 1 warning in 2900 ms'), true);
    for (const m of ['Workflow bundle created', 'Worker state changed', 'webpack failed to compile'])
      assert.equal(isBundlerReport(m), false);
  });
});
