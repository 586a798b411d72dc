/**
 * No line of a tracked .ts or .mjs file (`git ls-files`) is longer than 120 characters, biome.json's
 * lineWidth. Biome keeps code within it but does not split string literals, templates or comments:
 * split a long string into 'abc ' + 'def', wrap a long comment.
 *
 * The allowlist is one kind of line, found with TypeScript's parser: a lone regular-expression literal
 * (LONE_REGEX). Nothing else may be longer.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WIDTH = 120;

/** In characters (code points), as an editor counts them: `…` or `→` is one, not three bytes. */
const width = (line: string) => [...line].length;

/**
 * Allowed to be longer: a line that holds one regular-expression literal and nothing else but its indentation
 * and the punctuation after it (`,`, `;`, `)`, or `.test(` / `.exec(`). Biome already gave the literal a line
 * of its own, and a regex literal cannot be split: only rewritten as a RegExp built from strings, which is
 * other code and harder to read.
 */
const LONE_REGEX = /^(?:[,;)]*|\.(?:test|exec)\()$/;

/** 0-based numbers of the lines that hold a lone regular-expression literal. */
function loneRegexLines(sf: ts.SourceFile, lines: readonly string[]): Set<number> {
  const found = new Set<number>();
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      const end = sf.getLineAndCharacterOfPosition(node.getEnd());
      const line = lines[start.line] ?? '';
      const indent = line.length - line.trimStart().length;
      if (start.line === end.line && start.character === indent && LONE_REGEX.test(line.slice(end.character)))
        found.add(start.line);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** `file:line: N characters` for every line of `text` longer than WIDTH that the allowlist does not cover. */
export function tooLong(file: string, text: string): string[] {
  const lines = text.split(/\r?\n/);
  const long = lines.flatMap((line, i) => (width(line) > WIDTH ? [i] : []));
  if (long.length === 0) return [];
  const kind = file.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const allowed = loneRegexLines(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind), lines);
  return long.filter((i) => !allowed.has(i)).map((i) => `${file}:${i + 1}: ${width(lines[i]!)} characters`);
}

/** Tracked .ts and .mjs files, relative to the repository root (a deleted but still tracked file is skipped). */
function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.mjs'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '');
}

describe(`line length (at most ${WIDTH} characters)`, () => {
  it('names file:line of each long line, counts characters, and lets only a lone regex literal stay', () => {
    const long = `const s = '${'x'.repeat(WIDTH)}';`;
    const regexAlone = `  /${'a'.repeat(WIDTH)}/u,`;
    const regexWithCode = `  f(/${'a'.repeat(WIDTH)}/);`;
    const text = ['// fine', long, 'f(', regexAlone, ');', regexWithCode, `// ${'…'.repeat(WIDTH - 3)}`].join('\n');
    assert.deepEqual(tooLong('x.ts', text), [
      `x.ts:2: ${width(long)} characters`,
      `x.ts:6: ${width(regexWithCode)} characters`,
    ]);
    assert.deepEqual(tooLong('x.mjs', `const ok =\n  /${'a'.repeat(WIDTH)}/i.test(\n    s,\n  );\n`), []);
  });

  it('holds for every tracked .ts and .mjs file', () => {
    const files = trackedFiles();
    assert.ok(files.includes('src/app/main.ts'), `git ls-files in ${ROOT} did not list src/app/main.ts`);
    const found = files.flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(path.join(ROOT, file), 'utf8');
      } catch {
        return [];
      }
      return tooLong(file, text);
    });
    assert.deepEqual(found, [], `lines over ${WIDTH} characters:\n${found.join('\n')}`);
  });
});
