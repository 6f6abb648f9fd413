// A small validator for the JSON-schema subset OpenAPI 3.0 / 3.1 documents use for parameters and
// request bodies: type (one or a list; 3.0 `nullable`), enum, const, properties, required,
// additionalProperties, items, min/max (length, items, properties, value; 3.0 and 3.1 exclusive
// forms), multipleOf, pattern, allOf / anyOf / oneOf / not, and local `$ref`. Validators are compiled
// once at start-up; patterns compile to RE2 (linear time on untrusted input: no ReDoS). Keywords
// outside the subset (format, discriminator, examples …) are annotations and never reject.
import RE2 from 're2';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = Record<string, unknown>;

export interface SchemaIssue {
  /** Where, e.g. `body.items[2].quantity` or `query.limit`. Never the value. */
  readonly path: string;
  readonly message: string;
}

/** Returns the first issue, or undefined when the value is valid. */
export type Validator = (value: unknown, path: string) => SchemaIssue | undefined;

/** Resolves a local `$ref` (`#/components/schemas/Order`) against the document. */
export type RefResolver = (ref: string) => JsonSchema;

/** Deepest value the validator walks; deeper input is refused instead of exhausting the stack. */
const MAX_DEPTH = 64;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(actual: string, wanted: string): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function child(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
}

function num(schema: JsonSchema, key: string): number | undefined {
  const v = schema[key];
  return typeof v === 'number' ? v : undefined;
}

export class SchemaCompileError extends Error {}

/** Compiles `schema` into a validator. `resolve` handles `$ref`; recursive schemas are supported. */
export function compileSchema(schema: unknown, resolve: RefResolver): Validator {
  const byRef = new Map<string, Validator>();

  function compile(s: unknown, at: string): Validator {
    if (s === true || s === undefined) return () => undefined;
    if (s === false) return (_v, path) => ({ path, message: 'is not allowed' });
    if (!isObject(s)) throw new SchemaCompileError(`${at}: a schema must be an object or a boolean`);
    if (typeof s.$ref === 'string') {
      const ref = s.$ref;
      const known = byRef.get(ref);
      if (known) return known;
      let compiled: Validator | undefined;
      // Placed before compiling so a recursive reference finds it.
      const lazy: Validator = (v, path) => compiled!(v, path);
      byRef.set(ref, lazy);
      compiled = compile(resolve(ref), ref);
      return lazy;
    }
    const checks: Validator[] = [];

    let types: string[] | undefined;
    if (typeof s.type === 'string') types = [s.type];
    else if (Array.isArray(s.type)) types = s.type.filter((t): t is string => typeof t === 'string');
    const nullable = s.nullable === true || (types?.includes('null') ?? false);
    if (types) {
      const wanted = types;
      checks.push((v, path) => {
        const actual = typeOf(v);
        if (actual === 'null' && nullable) return undefined;
        return wanted.some((t) => typeMatches(actual, t))
          ? undefined
          : { path, message: `must be ${wanted.join(' or ')}` };
      });
    }
    if (Array.isArray(s.enum)) {
      const values = s.enum as unknown[];
      checks.push((v, path) =>
        (v === null && nullable) || values.some((e) => equal(e, v))
          ? undefined
          : { path, message: 'is not one of the allowed values' },
      );
    }
    if ('const' in s) {
      const c = s.const;
      checks.push((v, path) => (equal(c, v) ? undefined : { path, message: 'is not the allowed value' }));
    }

    // strings
    const minLength = num(s, 'minLength');
    const maxLength = num(s, 'maxLength');
    let pattern: RE2 | undefined;
    if (typeof s.pattern === 'string') {
      try {
        pattern = new RE2(s.pattern, 'u');
      } catch (err) {
        throw new SchemaCompileError(`${at}: pattern is not valid RE2 syntax: ${(err as Error).message}`);
      }
    }
    if (minLength !== undefined || maxLength !== undefined || pattern) {
      checks.push((v, path) => {
        if (typeof v !== 'string') return undefined;
        const length = [...v].length;
        if (minLength !== undefined && length < minLength)
          return { path, message: `must be at least ${minLength} characters` };
        if (maxLength !== undefined && length > maxLength)
          return { path, message: `must be at most ${maxLength} characters` };
        if (pattern && !pattern.test(v)) return { path, message: 'does not match the required pattern' };
        return undefined;
      });
    }

    // numbers (3.0: exclusiveMinimum is a boolean beside minimum; 3.1: it is the bound itself)
    const minimum = num(s, 'minimum');
    const maximum = num(s, 'maximum');
    const exMin = s.exclusiveMinimum === true ? minimum : num(s, 'exclusiveMinimum');
    const exMax = s.exclusiveMaximum === true ? maximum : num(s, 'exclusiveMaximum');
    const multipleOf = num(s, 'multipleOf');
    if ([minimum, maximum, exMin, exMax, multipleOf].some((b) => b !== undefined)) {
      checks.push((v, path) => {
        if (typeof v !== 'number') return undefined;
        if (exMin !== undefined && v <= exMin) return { path, message: `must be greater than ${exMin}` };
        if (exMax !== undefined && v >= exMax) return { path, message: `must be less than ${exMax}` };
        if (minimum !== undefined && v < minimum) return { path, message: `must be at least ${minimum}` };
        if (maximum !== undefined && v > maximum) return { path, message: `must be at most ${maximum}` };
        if (multipleOf !== undefined && multipleOf > 0 && !Number.isInteger(v / multipleOf))
          return { path, message: `must be a multiple of ${multipleOf}` };
        return undefined;
      });
    }

    // arrays
    const items = s.items !== undefined ? compile(s.items, `${at}.items`) : undefined;
    const minItems = num(s, 'minItems');
    const maxItems = num(s, 'maxItems');
    const unique = s.uniqueItems === true;
    if (items || minItems !== undefined || maxItems !== undefined || unique) {
      checks.push((v, path) => {
        if (!Array.isArray(v)) return undefined;
        if (minItems !== undefined && v.length < minItems)
          return { path, message: `must have at least ${minItems} items` };
        if (maxItems !== undefined && v.length > maxItems)
          return { path, message: `must have at most ${maxItems} items` };
        if (unique) {
          const seen = new Set(v.map((x) => JSON.stringify(x)));
          if (seen.size !== v.length) return { path, message: 'must not contain duplicates' };
        }
        if (items)
          for (let i = 0; i < v.length; i++) {
            const issue = items(v[i], child(path, i));
            if (issue) return issue;
          }
        return undefined;
      });
    }

    // objects
    const properties = isObject(s.properties)
      ? Object.entries(s.properties).map(([k, p]) => [k, compile(p, `${at}.properties.${k}`)] as const)
      : [];
    const required = Array.isArray(s.required)
      ? s.required.filter((r): r is string => typeof r === 'string')
      : [];
    const extra =
      s.additionalProperties === undefined ? undefined : compile(s.additionalProperties, `${at}.additional`);
    const minProps = num(s, 'minProperties');
    const maxProps = num(s, 'maxProperties');
    if (
      properties.length > 0 ||
      required.length > 0 ||
      extra ||
      minProps !== undefined ||
      maxProps !== undefined
    ) {
      const known = new Set(properties.map(([k]) => k));
      checks.push((v, path) => {
        if (!isObject(v)) return undefined;
        for (const r of required)
          if (!Object.hasOwn(v, r) || v[r] === undefined)
            return { path: child(path, r), message: 'is required' };
        const count = Object.keys(v).length;
        if (minProps !== undefined && count < minProps)
          return { path, message: `must have at least ${minProps} properties` };
        if (maxProps !== undefined && count > maxProps)
          return { path, message: `must have at most ${maxProps} properties` };
        for (const [k, validate] of properties) {
          if (!Object.hasOwn(v, k)) continue;
          const issue = validate(v[k], child(path, k));
          if (issue) return issue;
        }
        if (extra)
          for (const k of Object.keys(v)) {
            if (known.has(k)) continue;
            const issue = extra(v[k], child(path, k));
            if (issue)
              return issue.message === 'is not allowed'
                ? { path: child(path, k), message: 'is not a known field' }
                : issue;
          }
        return undefined;
      });
    }

    // combinators
    const list = (key: string): Validator[] =>
      Array.isArray(s[key]) ? (s[key] as unknown[]).map((x, i) => compile(x, `${at}.${key}[${i}]`)) : [];
    const allOf = list('allOf');
    const anyOf = list('anyOf');
    const oneOf = list('oneOf');
    const not = s.not !== undefined ? compile(s.not, `${at}.not`) : undefined;
    for (const validate of allOf) checks.push(validate);
    if (anyOf.length > 0)
      checks.push((v, path) =>
        anyOf.some((validate) => validate(v, path) === undefined)
          ? undefined
          : { path, message: 'matches none of the allowed shapes' },
      );
    if (oneOf.length > 0)
      checks.push((v, path) =>
        oneOf.filter((validate) => validate(v, path) === undefined).length === 1
          ? undefined
          : { path, message: 'must match exactly one of the allowed shapes' },
      );
    if (not)
      checks.push((v, path) =>
        not(v, path) === undefined ? { path, message: 'is not allowed' } : undefined,
      );

    return (value, path) => {
      for (const check of checks) {
        const issue = check(value, path);
        if (issue) return issue;
      }
      return undefined;
    };
  }

  const root = compile(schema, '#');
  return (value, path) =>
    depthOf(value, 0) > MAX_DEPTH
      ? { path, message: `is nested deeper than ${MAX_DEPTH} levels` }
      : root(value, path);
}

function depthOf(value: unknown, depth: number): number {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return depth;
  let max = depth;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    max = Math.max(max, depthOf(v, depth + 1));
    if (max > MAX_DEPTH) return max;
  }
  return max;
}

/** A copy of `schema` with every local `$ref` replaced by its target (cycles become `{}`), for
 *  tool input schemas that must stand alone. */
export function inlineRefs(schema: unknown, resolve: RefResolver, seen: readonly string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, resolve, seen));
  if (!isObject(schema)) return schema;
  if (typeof schema.$ref === 'string') {
    if (seen.includes(schema.$ref)) return {};
    return inlineRefs(resolve(schema.$ref), resolve, [...seen, schema.$ref]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = inlineRefs(v, resolve, seen);
  return out;
}
