/**
 * The JSON Schema of rewind.yaml, generated from the zod validator the loader uses (schema.ts), so
 * an editor, CI or a policy check sees exactly the rules rewind enforces at start. Published by
 * `rewind config schema`; editors pick it up with a first line such as
 * `# yaml-language-server: $schema=./rewind.schema.json`.
 *
 * It describes the file as written (zod's input side: keys with defaults are optional). What JSON
 * Schema cannot say stays with the loader: references between sections (an environment's cluster,
 * repo and people must exist) are checked by load.ts crossCheck, never here.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

/** The duration syntax of duration.ts (`30s`, `5m`, `1h30m`, `250ms`); schema tests keep the two in step. */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?(ms|s|m|h|d))+\\s*$';

type Check = { _zod: { def: { check?: string; fn?: (value: unknown) => unknown } } };

/**
 * Whether the schema carries a zod refinement that accepts `yes` and refuses `no` (probing it,
 * since refinements are code).
 */
function refinedLike(zodSchema: unknown, yes: unknown, no: unknown): boolean {
  const checks = (zodSchema as { _zod?: { def?: { checks?: Check[] } } })._zod?.def?.checks ?? [];
  return checks.some((c) => {
    const { check, fn } = c._zod.def;
    if (check !== 'custom' || typeof fn !== 'function') return false;
    try {
      return fn(yes) === true && fn(no) === false;
    } catch {
      return false;
    }
  });
}

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // Refinements are code, invisible to JSON Schema: translate the two schema.ts uses, so an
    // editor flags "5 minutes" or an app without environments before rewind does.
    override: ({ zodSchema, jsonSchema }) => {
      if (jsonSchema.type === 'string' && refinedLike(zodSchema, '1h30m', 'soon')) {
        jsonSchema.pattern = DURATION_PATTERN;
        jsonSchema.examples = ['30s', '5m', '1h30m'];
      }
      if (jsonSchema.type === 'object' && jsonSchema.additionalProperties && refinedLike(zodSchema, { prod: {} }, {}))
        jsonSchema.minProperties = 1;
    },
  });
  return {
    $schema: generated.$schema,
    $id: 'https://rewind.dev/schemas/rewind.yaml.json',
    title: 'rewind.yaml',
    description:
      'What rewind may touch, who may ask, and who must approve. Generated from ' +
      'src/lib/config/schema.ts by `rewind config schema`; rewind.example.yaml explains every key.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}
