import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments, parseDocument } from 'yaml';
import { detectStyle, getAt, removeAt, serializeYaml, setAt, type YamlFile } from '../../../src/lib/git/yaml-edit.js';

const file = (text: string): YamlFile => ({
  file: 'x.yaml',
  text,
  docs: parseAllDocuments(text) as YamlFile['docs'],
  style: detectStyle(text),
});

describe('yaml edits keep the file as people wrote it', () => {
  it('detects indentation, sequence style and flow padding', () => {
    assert.deepEqual(detectStyle('a:\n  b:\n    - x\n'), { indent: 2, indentSeq: true, flowCollectionPadding: true });
    assert.deepEqual(detectStyle('a:\n    b:\n    - x\nc: {d: 1}\n'), {
      indent: 4,
      indentSeq: false,
      flowCollectionPadding: false,
    });
    assert.deepEqual(detectStyle('c: { d: 1 }\n'), { indent: 2, indentSeq: true, flowCollectionPadding: true });
  });

  it('round-trips multi-document, kubectl-style and commented files byte for byte', () => {
    for (const text of [
      '# head\na: 1 # why\n---\n# second\nb:\n- x: 1\n  name: n\n- y\n',
      'spec:\n  containers:\n    - name: a # main\n      args: ["--x", "--y"]\n',
      `data:\n  LONG: ${'x'.repeat(200)}\n`,
    ])
      assert.equal(serializeYaml(file(text)), text);
  });

  it('replaces a scalar in place: its inline comment and quoting stay', () => {
    const f = file('# top\ndata:\n  A: "old" # keep me\n  B: plain\n');
    setAt(f.docs[0]!, ['data', 'A'], 'new');
    setAt(f.docs[0]!, ['data', 'B'], 'plain2');
    assert.equal(serializeYaml(f), '# top\ndata:\n  A: "new" # keep me\n  B: plain2\n');
  });

  it('quotes strings a YAML 1.1 reader (kubectl, Argo plain directories) would take for booleans or numbers', () => {
    const doc = parseDocument('a: x\n');
    setAt(doc, ['a'], 'on');
    setAt(doc, ['b'], { c: 'yes', d: ['off', 'fine'], e: '1.50', f: '0755' });
    assert.equal(doc.toString(), 'a: "on"\nb:\n  c: "yes"\n  d:\n    - "off"\n    - fine\n  e: "1.50"\n  f: "0755"\n');
  });

  it('creates missing maps and list items, and removes keys', () => {
    const doc = parseDocument('spec:\n  containers:\n    - name: a\n');
    setAt(doc, ['spec', 'containers', 0, 'env', 0, 'name'], 'X');
    setAt(doc, ['spec', 'containers', 0, 'env', 0, 'value'], '1');
    setAt(doc, ['spec', 'containers', 1, 'name'], 'b');
    assert.deepEqual(getAt(doc, ['spec', 'containers']), [
      { name: 'a', env: [{ name: 'X', value: '1' }] },
      { name: 'b' },
    ]);
    removeAt(doc, ['spec', 'containers', 0, 'env']);
    removeAt(doc, ['spec', 'nothing']);
    assert.equal(doc.toString(), 'spec:\n  containers:\n    - name: a\n    - name: b\n');
    assert.throws(() => setAt(parseDocument('a: text\n'), ['a', 'b'], 1));
  });
});
