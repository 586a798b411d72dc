/**
 * Reading YAML that people (or attackers) wrote, within limits: nesting depth and how much
 * aliases expand are checked on the parsed document before it becomes data, so an alias bomb or
 * a deeply nested file is refused with the file and line of the node at fault, instead of a
 * resource-exhaustion error without a location. rewind.yaml and the runbooks both read through here.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export const YAML_LIMITS = {
  /** Deeper than any real rewind.yaml or runbook (about 8 levels); far below a stack overflow. */
  maxDepth: 32,
  /** Nodes that aliases may add in all, once expanded: an alias bomb adds millions. */
  maxAliasedNodes: 10_000,
} as const;

export interface YamlProblem {
  line?: number;
  column?: number;
  message: string;
  fix: string;
}

/** Thrown when a YAML text cannot be read within the limits or is not YAML; each problem has its place. */
export class YamlReadError extends Error {
  constructor(readonly problems: YamlProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'YamlReadError';
  }
}

export interface ReadYaml {
  doc: Document;
  lines: LineCounter;
  value: unknown;
  at: (offset: number | undefined) => { line?: number; column?: number };
}

type Child = { node: Node; depth: number };

function childrenOf(node: Node): Node[] {
  if (isMap(node) || isSeq(node)) {
    return (node.items as unknown[])
      .flatMap((item) => (isPair(item) ? [item.key, item.value] : [item]))
      .filter((n): n is Node => n !== null && typeof n === 'object' && 'range' in (n as object));
  }
  return [];
}

/**
 * Parses `text`; throws YamlReadError for syntax errors, nesting deeper than maxDepth, or aliases that expand too much.
 */
export function readYaml(text: string): ReadYaml {
  const lines = new LineCounter();
  const at = (offset: number | undefined) =>
    offset === undefined ? {} : { line: lines.linePos(offset).line, column: lines.linePos(offset).col };
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const deep = doc.errors.find((e) => /call stack/i.test(e.message));
    if (deep)
      throw new YamlReadError([
        {
          ...at(deep.pos[0]),
          message: `the YAML is nested too deeply to read (more than ${YAML_LIMITS.maxDepth} levels)`,
          fix: 'flatten the structure; rewind.example.yaml shows the shape',
        },
      ]);
    throw new YamlReadError(
      doc.errors.map((e) => ({
        ...at(e.pos[0]),
        message: e.message.split('\n')[0] ?? e.message,
        fix: 'correct the YAML syntax at that line',
      })),
    );
  }
  const root = doc.contents as Node | null;
  if (root) {
    // Depth first, iteratively: a deep document must not overflow the stack of this check either.
    const stack: Child[] = [{ node: root, depth: 1 }];
    while (stack.length > 0) {
      const { node, depth } = stack.pop()!;
      if (depth > YAML_LIMITS.maxDepth) {
        throw new YamlReadError([
          {
            ...at(node.range?.[0]),
            message: `the YAML is nested more than ${YAML_LIMITS.maxDepth} levels deep here`,
            fix: 'flatten the structure; rewind.example.yaml shows the shape',
          },
        ]);
      }
      if (isMap(node)) {
        // JavaScript gives this key a meaning of its own (the object's prototype): never data.
        const proto = node.items.find((p) => isScalar(p.key) && p.key.value === '__proto__');
        if (proto)
          throw new YamlReadError([
            {
              ...at((proto.key as Node).range?.[0]),
              message: 'a key named "__proto__" is not allowed',
              fix: 'rename the key',
            },
          ]);
      }
      for (const c of childrenOf(node)) stack.push({ node: c, depth: depth + 1 });
    }
    checkAliases(doc, root, at);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    throw new YamlReadError([
      {
        ...at(root?.range?.[0]),
        message: `the YAML cannot be read: ${(err as Error).message}`,
        fix: 'correct the YAML at that line',
      },
    ]);
  }
  return { doc, lines, value, at };
}

/**
 * Counts the nodes each alias expands to (memoized per anchored node) and refuses at the alias that passes the limit.
 */
function checkAliases(doc: Document, root: Node, at: ReadYaml['at']): void {
  const sizes = new Map<Node, number>();
  let aliased = 0;
  const size = (node: Node): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // a node reached again while being counted (a cycle) counts once
    let n = 1;
    for (const c of childrenOf(node)) {
      if (isAlias(c)) {
        const target = c.resolve(doc) as Node | undefined;
        const expanded = target ? size(target) : 1;
        aliased += expanded;
        if (aliased > YAML_LIMITS.maxAliasedNodes) {
          throw new YamlReadError([
            {
              ...at(c.range?.[0]),
              message:
                `YAML aliases expand to more than ${YAML_LIMITS.maxAliasedNodes} values ` +
                `by this alias (*${c.source}); that is how an alias bomb looks`,
              fix: 'write the values out instead of nesting aliases of aliases',
            },
          ]);
        }
        n += expanded;
      } else {
        n += isScalar(c) ? 1 : size(c);
      }
    }
    sizes.set(node, n);
    return n;
  };
  if (isAlias(root)) return;
  size(root);
}
