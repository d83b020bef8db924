import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { PlugschedError } from '../util/errors';

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true });
const compiled = new Map<object, ValidateFunction>();

/** JSON pointer "/packages/2/sha256" -> "packages[2].sha256". */
export function fieldName(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(top level)' : out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function schemaAt(schema: Record<string, unknown>, schemaPath: string): Record<string, unknown> | undefined {
  // "#/definitions/package/properties/sha256/pattern" -> the property schema
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: unknown = schema;
  for (const p of parts) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

function valueAt(data: unknown, instancePath: string): unknown {
  let node = data;
  for (const p of instancePath.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return node;
}

/** One sentence per schema error, in plain words, with what was expected and how to fix it. */
export function explainSchemaError(e: ErrorObject, data: unknown, schema: Record<string, unknown>): string {
  const here = schemaAt(schema, e.schemaPath);
  const hint = here && typeof here.description === 'string' ? ` (${here.description})` : '';
  const value = valueAt(data, e.instancePath);
  switch (e.keyword) {
    case 'required': {
      const missing = String(e.params.missingProperty);
      const props = (here?.properties ?? {}) as Record<string, { description?: string }>;
      const what = props[missing]?.description;
      return `field "${fieldName(e.instancePath, missing)}" is missing${what ? `: ${what}` : ''}; add it.`;
    }
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((here?.properties ?? {}) as object).sort();
      return `field "${fieldName(e.instancePath, key)}" is not a known key; allowed here: ${allowed.join(', ')}. Remove it or correct its spelling.`;
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      return `field "${fieldName(e.instancePath)}" is ${describe(value)}; expected one of: ${allowed}${hint}.`;
    }
    case 'type':
      return `field "${fieldName(e.instancePath)}" is ${describe(value)}; expected ${e.params.type}${hint}${
        e.params.type === 'string' && typeof value === 'number' ? `. YAML read it as a number: quote it, e.g. "${String(value)}"` : ''
      }.`;
    case 'pattern':
      return `field "${fieldName(e.instancePath)}" is ${describe(value)}, which is not valid${hint}.`;
    case 'minItems':
    case 'minLength':
      return `field "${fieldName(e.instancePath)}" is empty${hint}; give at least one.`;
    default:
      return `field "${fieldName(e.instancePath)}" ${e.message ?? 'is invalid'}${hint}.`;
  }
}

/**
 * Validate `data` against `schema`; throw one PlugschedError that lists every
 * problem in plain words, prefixed by the file it came from.
 */
export function validateWithSchema<T>(schema: Record<string, unknown>, data: unknown, file: string, fixDoc: string): T {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return data as T;
  const errors = (validate.errors ?? [])
    // ajv reports "must match pattern" and friends once per failing branch; one line per place is enough
    .filter((e, i, all) => all.findIndex((o) => o.instancePath === e.instancePath && o.keyword === e.keyword && o.params.additionalProperty === e.params.additionalProperty && o.params.missingProperty === e.params.missingProperty) === i)
    .map((e) => explainSchemaError(e, data, schema));
  throw new PlugschedError(`${file} is not valid: ${errors.join(' ')} See ${fixDoc} for the format.`);
}
