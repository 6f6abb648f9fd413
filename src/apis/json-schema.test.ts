import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSchema, inlineRefs, type JsonSchema, SchemaCompileError } from './json-schema.ts';

const defs: Record<string, JsonSchema> = {
  '#/components/schemas/Node': {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
    },
  },
};
const resolve = (ref: string) => defs[ref]!;
const issue = (schema: unknown, value: unknown) => compileSchema(schema, resolve)(value, 'body');

test('json-schema: types, nullable (3.0) and type lists (3.1)', () => {
  assert.equal(issue({ type: 'integer' }, 3), undefined);
  assert.deepEqual(issue({ type: 'integer' }, 3.5), { path: 'body', message: 'must be integer' });
  assert.equal(issue({ type: 'number' }, 3), undefined);
  assert.equal(issue({ type: 'string', nullable: true }, null), undefined);
  assert.equal(issue({ type: ['string', 'null'] }, null), undefined);
  assert.ok(issue({ type: 'string' }, null));
  assert.ok(issue({ type: 'object' }, []));
});

test('json-schema: required, properties, additionalProperties name the field', () => {
  const s = {
    type: 'object',
    additionalProperties: false,
    required: ['a'],
    properties: { a: { type: 'string', minLength: 2 } },
  };
  assert.deepEqual(issue(s, {}), { path: 'body.a', message: 'is required' });
  assert.deepEqual(issue(s, { a: 'x' }), { path: 'body.a', message: 'must be at least 2 characters' });
  assert.deepEqual(issue(s, { a: 'xy', b: 1 }), { path: 'body.b', message: 'is not a known field' });
});

test('json-schema: bounds in both OpenAPI dialects, enum, const, multipleOf', () => {
  assert.ok(issue({ minimum: 1, exclusiveMinimum: true }, 1)); // 3.0
  assert.ok(issue({ exclusiveMinimum: 1 }, 1)); // 3.1
  assert.equal(issue({ exclusiveMaximum: 10 }, 9.99), undefined);
  assert.ok(issue({ enum: ['a', 'b'] }, 'c'));
  assert.ok(issue({ const: 3 }, 4));
  assert.ok(issue({ multipleOf: 5 }, 12));
});

test('json-schema: arrays report the index; uniqueItems', () => {
  const s = { type: 'array', maxItems: 3, uniqueItems: true, items: { type: 'integer' } };
  assert.deepEqual(issue(s, [1, 'x']), { path: 'body[1]', message: 'must be integer' });
  assert.ok(issue(s, [1, 2, 3, 4]));
  assert.ok(issue(s, [1, 1]));
});

test('json-schema: recursive $ref and combinators', () => {
  const tree = { $ref: '#/components/schemas/Node' };
  assert.equal(issue(tree, { name: 'a', children: [{ name: 'b', children: [] }] }), undefined);
  assert.deepEqual(issue(tree, { name: 'a', children: [{}] }), {
    path: 'body.children[0].name',
    message: 'is required',
  });
  assert.ok(issue({ anyOf: [{ type: 'string' }, { type: 'integer' }] }, true));
  assert.ok(issue({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 3));
  assert.ok(issue({ allOf: [{ minimum: 1 }, { maximum: 2 }] }, 3));
  assert.ok(issue({ not: { type: 'string' } }, 'x'));
});

test('json-schema: patterns are RE2 (no catastrophic backtracking); invalid RE2 stops compilation', () => {
  const evil = { type: 'string', pattern: '^(a+)+$' };
  assert.ok(issue(evil, `${'a'.repeat(50_000)}!`));
  assert.throws(() => compileSchema({ pattern: '(?<=a)b' }, resolve), SchemaCompileError);
});

test('json-schema: input nested beyond the limit is refused', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.match(issue({}, deep)!.message, /nested deeper/);
});

test('json-schema: inlineRefs makes a standalone copy; cycles end in {}', () => {
  const out = inlineRefs({ $ref: '#/components/schemas/Node' }, resolve) as Record<string, unknown>;
  const children = (out.properties as Record<string, Record<string, unknown>>).children!;
  assert.deepEqual(children.items, {});
  assert.equal(JSON.stringify(out).includes('$ref'), false);
});
