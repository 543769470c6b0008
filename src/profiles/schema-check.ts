// JSON Schema validation with ajv, turned into judge issues with JSON pointers and plain words.
import type { Ajv, ErrorObject } from 'ajv';
import { createRequire } from 'node:module';
import type { SchemaCheck } from '../core/judge.js';
import type { Issue } from '../core/types.js';

const MAX_ISSUES = 20;
// Keywords that only say "a branch failed"; the branch's own errors say why.
const AGGREGATES = new Set(['if', 'oneOf', 'anyOf', 'allOf', 'not']);

const require = createRequire(import.meta.url);

// One ajv instance per profile: schema $ids are unique within it. ajv is loaded on first use
// (~50 ms): commands that judge nothing, like status, never load it. ajv's own console logging is
// replaced: its warnings are collected into `warnings` for the CLI's renderer to show.
export function createAjv(warnings: string[] = []): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const collect = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  // verbose: errors carry the offending value, so messages can say what was found.
  const ajv = new AjvClass({ allErrors: true, strict: false, verbose: true, logger: { log: () => undefined, warn: collect, error: collect } });
  const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
  addFormats(ajv);
  return ajv;
}

// Compile a schema into the judge's SchemaCheck.
export function compileSchema(ajv: Ajv, schema: object): SchemaCheck {
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : toIssues(validate.errors ?? []));
}

function toIssues(errors: ErrorObject[]): Issue[] {
  const specific = errors.filter((error) => !AGGREGATES.has(error.keyword));
  const chosen = (specific.length > 0 ? specific : errors).slice(0, MAX_ISSUES);
  return chosen.map((error) => ({ code: 'schema', pointer: pointerOf(error), message: describe(error) }));
}

function pointerOf(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${String(error.params.missingProperty).replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return error.instancePath;
}

// The message says what is wrong; the judge adds where (feature, line or pointer).
function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return `missing required property "${String(error.params.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')} (got ${JSON.stringify(error.data)})`;
    case 'type':
      return `must be ${String(error.params.type)} (got ${describeValue(error.data)})`;
    case 'additionalProperties':
      return `has unknown property "${String(error.params.additionalProperty)}"`;
    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)} (got ${JSON.stringify(error.data)})`;
    default:
      return error.message ?? error.keyword;
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${typeof value}` : text;
}
