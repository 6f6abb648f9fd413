import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paramHeaderMismatch, paramHeaderProblem, paramHeaders } from './param-headers.ts';

const schema = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    limit: { type: 'integer', 'x-mcp-header': 'Limit' },
    dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
    nested: { type: 'object', properties: { tenant: { type: 'string', 'x-mcp-header': 'Tenant' } } },
    tags: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Tag' } },
    bad: { type: 'string', 'x-mcp-header': 'has space' },
  },
  anyOf: [{ properties: { other: { type: 'string', 'x-mcp-header': 'Other' } } }],
};

test('declarations: only properties chains, primitive types and RFC 9110 token names', () => {
  assert.deepEqual(
    paramHeaders(schema).map((d) => [d.path.join('.'), d.name]),
    [
      ['region', 'Region'],
      ['limit', 'Limit'],
      ['dry', 'Dry-Run'],
      ['nested.tenant', 'Tenant'],
    ],
  );
  assert.deepEqual(paramHeaders({ type: 'object' }), []);
  assert.deepEqual(paramHeaders(null), []);
});

test('headers: every declared argument present in the body needs its header, equal after decoding', () => {
  const decls = paramHeaders(schema);
  const h = (headers: Record<string, string>) => (name: string) => headers[name];
  const args = { region: 'eu-west', limit: 10, dry: false, nested: { tenant: 'acme' } };
  const all = {
    'mcp-param-region': 'eu-west',
    'mcp-param-limit': '10.0',
    'mcp-param-dry-run': 'false',
    'mcp-param-tenant': `=?base64?${Buffer.from('acme').toString('base64')}?=`,
  };
  assert.equal(paramHeaderMismatch(decls, args, h(all)), undefined);
  // Absent or null arguments need no header.
  assert.equal(paramHeaderMismatch(decls, { region: 'eu-west', limit: null }, h(all)), undefined);
  const { 'mcp-param-region': _r, ...noRegion } = all;
  assert.match(String(paramHeaderMismatch(decls, args, h(noRegion))), /Mcp-Param-Region header is required/);
  assert.match(
    String(paramHeaderMismatch(decls, args, h({ ...all, 'mcp-param-region': 'us-east' }))),
    /differs/,
  );
  assert.match(
    String(paramHeaderMismatch(decls, args, h({ ...all, 'mcp-param-tenant': '=?base64?YWNtZQ?=' }))),
    /not valid base64/,
  );
  assert.match(String(paramHeaderMismatch(decls, args, h({ ...all, 'mcp-param-limit': '11' }))), /differs/);
  // Without the full =?base64?…?= wrapper a value is literal.
  const literal = { region: '=?base64?ZXU=' };
  assert.equal(paramHeaderMismatch(decls, literal, h({ 'mcp-param-region': '=?base64?ZXU=' })), undefined);
});

test('2025 era (required: false): a missing header is fine, a present one must still match', () => {
  const decls = paramHeaders(schema);
  const h = (headers: Record<string, string>) => (name: string) => headers[name];
  const args = { region: 'us-east', limit: 10 };
  assert.equal(paramHeaderMismatch(decls, args, h({}), false), undefined);
  assert.equal(paramHeaderMismatch(decls, args, h({ 'mcp-param-region': 'us-east' }), false), undefined);
  assert.match(
    String(paramHeaderMismatch(decls, args, h({ 'mcp-param-region': 'eu-west' }), false)),
    /differs/,
  );
  assert.match(String(paramHeaderMismatch(decls, args, h({ 'mcp-param-limit': '11' }), false)), /differs/);
});

test('a definition with an invalid x-mcp-header is invalid as a whole (a conforming client drops it)', () => {
  const tool = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    ...extra,
  });
  const valid = tool({
    region: { type: 'string', 'x-mcp-header': 'Region' },
    nested: { type: 'object', properties: { tenant: { type: 'integer', 'x-mcp-header': 'Tenant' } } },
    size: { type: 'number', 'x-mcp-header': 'Size' },
    plain: { type: 'string', default: { 'x-mcp-header': 'not a declaration' } },
  });
  assert.equal(paramHeaderProblem(valid), undefined);
  assert.equal(paramHeaderProblem({ type: 'object' }), undefined);
  const rootDeclaration: unknown = { type: 'string', 'x-mcp-header': 'Root' };
  const invalid: [unknown, string][] = [
    [tool({ a: { type: 'string', 'x-mcp-header': 'has space' } }), 'not an HTTP token'],
    [tool({ a: { type: 'string', 'x-mcp-header': 'Bad\r\nInjected: 1' } }), 'not an HTTP token'],
    [tool({ a: { type: 'string', 'x-mcp-header': '' } }), 'not an HTTP token'],
    [tool({ a: { type: 'string', 'x-mcp-header': 42 } }), 'not an HTTP token'],
    [tool({ a: { type: 'object', 'x-mcp-header': 'Obj' } }), 'not string, integer or boolean'],
    [tool({ a: { type: ['string', 'null'], 'x-mcp-header': 'Either' } }), 'not string, integer or boolean'],
    [
      tool({
        a: { type: 'string', 'x-mcp-header': 'Region' },
        b: { type: 'string', 'x-mcp-header': 'region' },
      }),
      'declared twice',
    ],
    [tool({ tags: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Tag' } } }), 'not reachable'],
    [
      tool({}, { anyOf: [{ properties: { o: { type: 'string', 'x-mcp-header': 'Other' } } }] }),
      'not reachable',
    ],
    [tool({}, { $defs: { d: { type: 'string', 'x-mcp-header': 'Def' } } }), 'not reachable'],
    [rootDeclaration, 'not reachable'],
  ];
  for (const [schema, reason] of invalid)
    assert.ok(paramHeaderProblem(schema)?.includes(reason), `$JSON.stringify(schema): $reason`);
});
