/**
 * The stand-ins grade rewind, so they must not judge with rewind's own code: nothing under
 * src/sandbox/controller/ (the stand-in GitOps engines) or src/sandbox/workloads/ (the kubelets'
 * stand-in) may reach rewind's drift or health code, directly or through another module. Relative
 * imports (type-only ones too: a shared type is a shared assumption) are followed transitively.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCANNED = ['src/sandbox/controller', 'src/sandbox/workloads'];
/** rewind's judgement code: what it calls drift, which fields it treats as manual, what it calls healthy. */
const FORBIDDEN = [/^src\/lib\/gitops\/diff\.ts$/, /^src\/lib\/gitops\/manual-fields\.ts$/, /^src\/lib\/health\//];

const IMPORT =
  /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The relative import specifiers of a TypeScript source, comments removed first. */
export function relativeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]!).filter((s) => s.startsWith('.'));
}

/** The file a relative specifier names (`./x.js` is `./x.ts` in the sources). */
function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* try the next */
    }
  }
  throw new Error(`${path.relative(ROOT, from)}: cannot resolve import "${spec}"`);
}

/** Every forbidden module each scanned file reaches, with the import chain that reaches it. */
function violations(): string[] {
  const found: string[] = [];
  for (const start of SCANNED.flatMap((d) => tsFiles(path.join(ROOT, d)))) {
    const seen = new Set<string>([start]);
    const queue: Array<{ file: string; chain: string[] }> = [{ file: start, chain: [path.relative(ROOT, start)] }];
    while (queue.length > 0) {
      const { file, chain } = queue.shift()!;
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = resolve(file, spec);
        const rel = path.relative(ROOT, target).split(path.sep).join('/');
        if (FORBIDDEN.some((re) => re.test(rel))) {
          found.push([...chain, rel].join(' -> '));
          continue;
        }
        // Follow imports within src/ only: that is where the stand-ins' plumbing lives.
        if (!rel.startsWith('src/') || seen.has(target)) continue;
        seen.add(target);
        queue.push({ file: target, chain: [...chain, rel] });
      }
    }
  }
  return found;
}

describe('stand-in imports', () => {
  it('finds import forms the check relies on', () => {
    assert.deepEqual(
      relativeImports(
        [
          "import { a } from './a.js';",
          "import type { B } from '../b.js';",
          "export { c } from './c.js';",
          "export * from './d.js';",
          "import './side.js';",
          "const m = await import('./lazy.js');",
          "import x from 'pino';",
          "// import { no } from './comment.js';",
          "/* import { no } from './block.js'; */",
          'import {\n  multi,\n  line,\n} from "./multi.js";',
        ].join('\n'),
      ),
      ['./a.js', '../b.js', './c.js', './d.js', './side.js', './lazy.js', './multi.js'],
    );
  });

  it("src/sandbox/controller and src/sandbox/workloads reach neither rewind's diff nor its health code", () => {
    const found = violations();
    assert.deepEqual(
      found,
      [],
      `the stand-ins must judge with their own code; these import chains reach rewind's:\n${found.join('\n')}`,
    );
  });
});
