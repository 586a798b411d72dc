/**
 * The layout's import rules (docs/architecture.md), checked on every .ts file of the repository:
 *  (a) only src/sandbox/ itself, test/, bench/ and scripts/ import src/sandbox/; the one exception
 *      is src/app/main.ts's dynamic import of ../sandbox/main.js (`npm start` without a rewind.yaml);
 *  (b) workflows/ (bundled into Temporal's deterministic sandbox) imports activities/ only as types
 *      (`import type`), nothing from src/ but the modules in WORKFLOW_SAFE_SRC, and no package but
 *      WORKFLOW_PACKAGES;
 *  (c) activities/ imports nothing from the processes' and the test world's folders (src/app/,
 *      src/sandbox/);
 *  (d) src/lib/ imports nothing from src/app/: a library is shared, so it cannot lean on one process.
 * Specifiers are read with TypeScript's parser: static `import … from`, side-effect `import '…'`,
 * `export … from`, dynamic `import('…')` and `import('…')` types.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCANNED = ['src', 'workflows', 'activities', 'test', 'bench', 'scripts'];

/** Modules under src/ that workflow code may import: deterministic, no Node APIs. None today. */
// Pure and import-free: safe in the workflow bundle.
const WORKFLOW_SAFE_SRC: readonly string[] = ['src/lib/git/sha.ts'];
/** Packages workflow code may import: Temporal's workflow-side APIs. */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];
/** The one sanctioned reach into the sandbox from production code. */
const SANDBOX_EXCEPTION = { file: 'src/app/main.ts', specifier: '../sandbox/main.js', kind: 'dynamic' } as const;

export interface ImportRef {
  specifier: string;
  kind: 'static' | 'export' | 'dynamic' | 'type';
  /** Erased from the JavaScript: `import type`, `export type`, `import('…')` in a type. */
  typeOnly: boolean;
  line: number;
}

/** Every module specifier a TypeScript source names. */
export function importsOf(source: string, fileName = 'x.ts'): ImportRef[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const add = (lit: ts.Node, kind: ImportRef['kind'], typeOnly: boolean) => {
    if (ts.isStringLiteralLike(lit))
      found.push({
        specifier: lit.text,
        kind,
        typeOnly,
        line: sf.getLineAndCharacterOfPosition(lit.getStart()).line + 1,
      });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, 'static', node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node.moduleSpecifier, 'export', node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node.moduleReference.expression, 'static', node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0])
      add(node.arguments[0], 'dynamic', false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, 'type', true);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const posix = (p: string) => p.split(path.sep).join('/');

/** The repository path a relative specifier names (`./x.js` is `./x.ts` in the sources); undefined for packages. */
function target(fromRel: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(ROOT, path.dirname(fromRel), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return posix(path.relative(ROOT, candidate));
    } catch {
      /* try the next */
    }
  }
  return posix(path.relative(ROOT, base));
}

const packageOf = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
const under = (rel: string, ...dirs: string[]) => dirs.some((d) => rel.startsWith(`${d}/`));

interface Edge {
  file: string;
  ref: ImportRef;
  to: string | undefined;
}

function edges(): Edge[] {
  return SCANNED.flatMap((d) => tsFiles(path.join(ROOT, d))).flatMap((abs) => {
    const file = posix(path.relative(ROOT, abs));
    return importsOf(readFileSync(abs, 'utf8'), file).map((ref) => ({ file, ref, to: target(file, ref.specifier) }));
  });
}

const show = (e: Edge, why: string) =>
  `${e.file}:${e.ref.line} imports '${e.ref.specifier}'` +
  `${e.to ? ` (${e.to})` : ''}${e.ref.typeOnly ? ' [type-only]' : ''}: ${why}`;

/** Rule (a): production code does not import the sandbox. */
export function sandboxViolations(all: Edge[]): string[] {
  return all
    .filter(
      (e) =>
        e.to !== undefined && under(e.to, 'src/sandbox') && !under(e.file, 'src/sandbox', 'test', 'bench', 'scripts'),
    )
    .filter(
      (e) =>
        !(
          e.file === SANDBOX_EXCEPTION.file &&
          e.ref.specifier === SANDBOX_EXCEPTION.specifier &&
          e.ref.kind === SANDBOX_EXCEPTION.kind
        ),
    )
    .map((e) =>
      show(
        e,
        'only src/sandbox/, test/, bench/ and scripts/ may import src/sandbox/ (the ' +
          "one exception is src/app/main.ts's dynamic import of ../sandbox/main.js)",
      ),
    );
}

/** Rule (b): workflow code imports only workflow-safe modules. */
export function workflowViolations(all: Edge[]): string[] {
  return all
    .filter((e) => under(e.file, 'workflows'))
    .flatMap((e) => {
      if (e.to === undefined) {
        return WORKFLOW_PACKAGES.includes(packageOf(e.ref.specifier)) || e.ref.typeOnly
          ? []
          : [
              show(
                e,
                `workflow code may import no package but ${WORKFLOW_PACKAGES.join(', ')} (it ` +
                  `runs in Temporal's deterministic sandbox)`,
              ),
            ];
      }
      if (under(e.to, 'workflows')) return [];
      if (under(e.to, 'activities'))
        return e.ref.typeOnly
          ? []
          : [
              show(
                e,
                'workflows may import activities only with `import type` ' +
                  '(a value import pulls Node code into the workflow bundle)',
              ),
            ];
      if (under(e.to, 'src') && WORKFLOW_SAFE_SRC.includes(e.to)) return [];
      return [
        show(
          e,
          `workflows may import nothing outside workflows/ but type-only activities/ ` +
            `imports${WORKFLOW_SAFE_SRC.length ? ` and ${WORKFLOW_SAFE_SRC.join(', ')}` : ''}`,
        ),
      ];
    });
}

/** Rule (c): activities do not depend on the processes or the test world. */
export function activityViolations(all: Edge[]): string[] {
  return all
    .filter((e) => under(e.file, 'activities') && e.to !== undefined && under(e.to, 'src/app', 'src/sandbox'))
    .map((e) =>
      show(
        e,
        'activities may not import src/app/ or src/sandbox/ (processes ' +
          'and the test world; shared code belongs in src/lib/)',
      ),
    );
}

/** Rule (d): the libraries do not depend on the processes. */
export function libraryViolations(all: Edge[]): string[] {
  return all
    .filter((e) => under(e.file, 'src/lib') && e.to !== undefined && under(e.to, 'src/app'))
    .map((e) =>
      show(e, 'src/lib/ may not import src/app/ (a library shared by the processes cannot depend on one of them)'),
    );
}

describe('import rules (docs/architecture.md)', () => {
  it('reads every import form', () => {
    const refs = importsOf(
      [
        "import { a } from './a.js';",
        "import type { B } from '../b.js';",
        "export { c } from './c.js';",
        "export * from './d.js';",
        "export type { E } from './e.js';",
        "import './side.js';",
        "const m = await import('./lazy.js');",
        "import x from 'pino';",
        "// import { no } from './comment.js';",
        "/* import { no } from './block.js'; */",
        "const s = 'src/**/*.ts'; // not a comment start",
        'import {\n  multi,\n  line,\n} from "./multi.js";',
        "let t: typeof import('./typed.js');",
        "import { type F } from './f.js';",
      ].join('\n'),
    );
    assert.deepEqual(
      refs.map((r) => [r.specifier, r.kind, r.typeOnly]),
      [
        ['./a.js', 'static', false],
        ['../b.js', 'static', true],
        ['./c.js', 'export', false],
        ['./d.js', 'export', false],
        ['./e.js', 'export', true],
        ['./side.js', 'static', false],
        ['./lazy.js', 'dynamic', false],
        ['pino', 'static', false],
        ['./multi.js', 'static', false],
        ['./typed.js', 'type', true],
        // verbatimModuleSyntax keeps `import { type F }` as an import of the module: not type-only.
        ['./f.js', 'static', false],
      ],
    );
  });

  it('names the file and the import when a rule is broken', () => {
    const e = (file: string, specifier: string, typeOnly = false, kind: ImportRef['kind'] = 'static'): Edge => ({
      file,
      ref: { specifier, kind, typeOnly, line: 3 },
      to: target(file, specifier),
    });
    assert.deepEqual(
      sandboxViolations([
        e('src/app/serve.ts', '../sandbox/world/binaries.js'),
        e('src/app/main.ts', '../sandbox/main.js', false, 'dynamic'),
        e('src/app/main.ts', '../sandbox/main.js'),
      ]),
      [
        "src/app/serve.ts:3 imports '../sandbox/world/binaries.js' (src/sandbox/world/binaries.ts): " +
          'only src/sandbox/, test/, bench/ and scripts/ may import src/sandbox/ (the ' +
          "one exception is src/app/main.ts's dynamic import of ../sandbox/main.js)",
        "src/app/main.ts:3 imports '../sandbox/main.js' (src/sandbox/main.ts): " +
          'only src/sandbox/, test/, bench/ and scripts/ may import src/sandbox/ (the ' +
          "one exception is src/app/main.ts's dynamic import of ../sandbox/main.js)",
      ],
    );
    assert.equal(workflowViolations([e('workflows/activities.ts', '../activities/index.js', true)]).length, 0);
    assert.match(
      workflowViolations([e('workflows/activities.ts', '../activities/index.js')])[0]!,
      /^workflows\/activities\.ts:3 imports '\.\.\/activities\/index\.js' \(activities\/index\.ts\): workflows may import activities only with `import type`/,
    );
    assert.match(
      workflowViolations([e('workflows/runbook.ts', '../src/lib/log.js')])[0]!,
      /^workflows\/runbook\.ts:3 imports '\.\.\/src\/lib\/log\.js' \(src\/lib\/log\.ts\)/,
    );
    assert.match(
      workflowViolations([e('workflows/runbook.ts', 'node:fs')])[0]!,
      /^workflows\/runbook\.ts:3 imports 'node:fs': workflow code may import no package/,
    );
    assert.match(
      activityViolations([e('activities/slack/index.ts', '../../src/app/slack/app.js')])[0]!,
      /^activities\/slack\/index\.ts:3 imports '\.\.\/\.\.\/src\/app\/slack\/app\.js' \(src\/app\/slack\/app\.ts\)/,
    );
    assert.deepEqual(libraryViolations([e('src/lib/runs.ts', '../app/worker.js')]), [
      "src/lib/runs.ts:3 imports '../app/worker.js' (src/app/worker.ts): src/lib/ may not " +
        'import src/app/ (a library shared by the processes cannot depend on one of them)',
    ]);
    assert.deepEqual(libraryViolations([e('src/app/cli/main.ts', '../../lib/runs.js')]), []);
  });

  const all = edges();

  it("(a) production code imports nothing from src/sandbox/ (but src/app/main.ts's dynamic import)", () => {
    const found = sandboxViolations(all);
    assert.deepEqual(found, [], found.join('\n'));
    assert.ok(
      all.some((e) => e.file === SANDBOX_EXCEPTION.file && e.ref.specifier === SANDBOX_EXCEPTION.specifier),
      'the documented exception is gone: drop it from this test and docs/architecture.md',
    );
  });

  it('(b) workflows/ import activities/ only as types, and from src/ only workflow-safe modules', () => {
    const found = workflowViolations(all);
    assert.deepEqual(found, [], found.join('\n'));
  });

  it('(c) activities/ import nothing from src/app/ or src/sandbox/', () => {
    const found = activityViolations(all);
    assert.deepEqual(found, [], found.join('\n'));
  });

  it('(d) src/lib/ imports nothing from src/app/', () => {
    const found = libraryViolations(all);
    assert.deepEqual(found, [], found.join('\n'));
    assert.ok(
      all.some((e) => under(e.file, 'src/app') && e.to !== undefined && under(e.to, 'src/lib')),
      'no process imports src/lib/: the rule would check nothing',
    );
  });
});
