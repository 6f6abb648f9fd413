// DLP actions per route, principal and model, and findings in the policy decision, through one real
// gateway: /v1 (the official openai client, JSON and streams), /mcp (the official MCP SDK client,
// a stdio tool server under the egress guard) and /api (a real REST service described by OpenAPI).
// Every action (block, redact, mask, alert) is checked on every surface that inspects; blocks name
// finding types and never the value; the audit log never holds a value either.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { parseConfig } from '../../src/config/load.ts';
import { checksummed, synth, UPPER } from '../../src/dlp/rules/synth.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { closeAdapters, createAdapters } from '../../src/inference/adapter-registry.ts';
import { createRouter } from '../../src/inference/router.ts';
import { createLogger } from '../../src/logging.ts';
import { approveServer } from '../../src/mcp/approve.ts';
import { createMcpPlane, type McpPlane } from '../../src/mcp/plane.ts';
import { createSecretResolver } from '../../src/secrets/secret-files.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';
import { FIXTURES as API_FIXTURES } from '../fixtures/apis/harness.ts';
import { type OrdersService, startOrdersService } from '../fixtures/apis/orders-service.ts';
import { FIXTURE_SERVER } from '../fixtures/mcp/harness.ts';
import { createRecordingAuditSink, postJson, type RecordingAuditSink } from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

// Synthetic values built at run time (never a real key or card in the repo).
const AWS_KEY = `AKIA${synth('dlp-actions', `${UPPER}234567`, 16)}`;
const EMAIL = 'jane.doe@example.com';
/** A Luhn-valid Visa number that is not one of the published test cards. */
function card(): string {
  const body = '453201511283036';
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const digits = body + String((10 - (sum % 10)) % 10);
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}
const CARD = card();
const CARD_TAIL = CARD.slice(-4);

const POLICIES = `
@id("tools.fixture")
permit (principal, action == Airlock::Action::"tools/call", resource) when { resource.server == "fixture" };

@id("orders.any")
permit (principal, action == Airlock::Action::"api/call", resource) when { resource.service == "orders" };

@id("strict.no-email")
forbid (principal == Airlock::ServiceAccount::"strict-app", action, resource)
when { context.findings.types.contains("EMAIL") };
`;

const DLP = {
  overrides: [
    // 0: embeddings inputs are redacted (personal data never reaches the vector store).
    { match: { routes: ['/v1/embeddings'] }, actions: { categories: { pii: { input: 'redact' } } } },
    // 1: the finance team: e-mail addresses blocked on the way in, cards masked on the way out.
    {
      match: { principals: ['service:finance-app'] },
      actions: { types: { EMAIL: { input: 'block' } }, categories: { pii: { output: 'mask' } } },
    },
    // 2: a model that must not see personal data in clear: masked.
    { match: { models: ['other'] }, actions: { categories: { pii: { input: 'mask' } } } },
    // 3: an operations agent's tool calls: personal data masked in, credentials in results refuse them.
    {
      match: { routes: ['/mcp'], principals: ['service:ops-app'] },
      actions: { categories: { pii: { input: 'mask' }, secret: { output: 'block' } } },
    },
    // 4: tools get personal data redacted (finance-app matches 1 first: blocked there).
    { match: { routes: ['/mcp'] }, actions: { categories: { pii: { input: 'redact', output: 'redact' } } } },
    // 5: internal services: personal data redacted in, credentials in answers refuse the answer.
    {
      match: { routes: ['/api/orders/*'] },
      actions: { categories: { pii: { input: 'redact' }, secret: { output: 'block' } } },
    },
    // 6: legacy completions: a credential in an answer refuses it (JSON) or ends the stream.
    { match: { routes: ['/v1/completions'] }, actions: { categories: { secret: { output: 'block' } } } },
  ],
};
const FIXTURE_SECRET = checksummed('ghp_', 'dlp-actions-fixture');

interface Rig {
  readonly url: string;
  readonly audit: RecordingAuditSink;
  readonly upstream: MockOpenAiUpstream;
  readonly orders: OrdersService;
  readonly keys: Record<'app' | 'finance' | 'strict' | 'ops', string>;
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const upstream = await startMockOpenAiUpstream({ chunkCount: 3 });
  const orders = await startOrdersService();
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-dlp-actions-'));
  mkdirSync(join(dataDir, 'secrets'), { mode: 0o700 });
  writeFileSync(join(dataDir, 'secrets', 'UPSTREAM_KEY'), 'sk-upstream-secret-value\n', { mode: 0o600 });
  writeFileSync(join(dataDir, 'secrets', 'ORDERS_TOKEN'), 'svc-orders-token\n', { mode: 0o600 });
  writeFileSync(join(dataDir, 'secrets', 'FIXTURE_SECRET'), `${FIXTURE_SECRET}\n`, { mode: 0o600 });
  mkdirSync(join(dataDir, 'state'));
  const config = parseConfig({
    version: 1,
    dataDir,
    listeners: { client: { host: '127.0.0.1', port: 0 } },
    upstreams: [
      {
        name: 'mock',
        kind: 'openai',
        baseUrl: upstream.url,
        apiKey: 'secret:UPSTREAM_KEY',
        timeouts: { connect: '1s', firstByte: '5s', idle: '5s', total: '20s' },
        health: { interval: '1h' },
      },
    ],
    models: [
      {
        alias: 'gpt-test',
        endpoints: ['chat', 'completions', 'embeddings'],
        targets: [{ upstream: 'mock', model: 'upstream-model' }],
      },
      { alias: 'other', targets: [{ upstream: 'mock', model: 'other-model' }] },
    ],
    apis: [
      {
        name: 'orders',
        baseUrl: orders.url,
        openapi: 'orders.openapi.yaml',
        credential: { secret: 'secret:ORDERS_TOKEN' },
        timeouts: { connect: '1s', firstByte: '5s', idle: '5s', total: '10s' },
      },
    ],
    mcp: {
      surface: { allowedHosts: ['127.0.0.1'], listRefresh: '0s' },
      servers: [
        {
          name: 'fixture',
          transport: 'stdio',
          command: 'node',
          args: [FIXTURE_SERVER, '--state-dir', join(dataDir, 'state')],
          env: { FIXTURE_SECRET: 'secret:FIXTURE_SECRET' },
        },
      ],
    },
    policy: { policies: POLICIES },
    dlp: DLP,
  });
  const store: Store = await openSqliteStore({ path: join(dataDir, 'airlock.db') });
  await store.migrate();
  const resolveSecret = createSecretResolver(dataDir);
  const adapters = await createAdapters(config.upstreams, { resolveSecret });
  const router = createRouter(config, { adapters });
  const audit = createRecordingAuditSink();
  const mcp: McpPlane = createMcpPlane(config.mcp, { dataDir, resolveSecret, audit });
  await mcp.start();
  for (const u of mcp.upstreams.values()) await approveServer(u, mcp.pins, { actor: 'test' });
  const gateway: Gateway = createGateway(config, {
    store,
    router,
    audit,
    logger: createLogger('silent'),
    dataDir,
    configDir: API_FIXTURES,
    mcp,
  });
  const urls = await gateway.start();
  const key = async (owner: string) =>
    (await gateway.keys.create({ owner, models: ['*'], ttlMs: 3_600_000, actor: 'test' })).key;
  return {
    url: urls.client,
    audit,
    upstream,
    orders,
    keys: {
      app: await key('app'),
      finance: await key('finance-app'),
      strict: await key('strict-app'),
      ops: await key('ops-app'),
    },
    async close() {
      await gateway.close();
      await mcp.close();
      await closeAdapters(adapters);
      await store.close();
      await upstream.close();
      await orders.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let rig: Rig;
const clients: Client[] = [];
const lastUpstreamBody = () =>
  JSON.stringify(rig.upstream.requests.filter((r) => r.method === 'POST').at(-1)?.body);
const posts = () => rig.upstream.requests.filter((r) => r.method === 'POST').length;
const openai = (key: string) => new OpenAI({ apiKey: key, baseURL: `${rig.url}/v1`, maxRetries: 0 });
const completed = () => rig.audit.entries.filter((e) => e.type === 'request.completed').at(-1)!;
const trailOf = (e: { detail?: unknown }) =>
  (
    e.detail as {
      trail: { stage: string; outcome: string; code?: string; detail?: Record<string, unknown> }[];
    }
  ).trail;

async function mcpClient(key: string): Promise<Client> {
  const client = new Client({ name: 'dlp-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${rig.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  return client;
}
const textOf = (r: unknown): string =>
  (((r as { content?: { text?: string }[] }).content ?? []) as { text?: string }[])
    .map((c) => c.text ?? '')
    .join('');

before(async () => {
  rig = await startRig();
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await rig?.close();
});

describe('/v1: actions per route, principal and model', () => {
  test('no override matches: e-mail alert (forwarded as is), credential blocked naming the type only', async () => {
    await openai(rig.keys.app).chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: `mail ${EMAIL}` }],
    });
    assert.ok(lastUpstreamBody().includes(EMAIL), 'alert forwards the text unchanged');
    const before = posts();
    const r = await postJson(`${rig.url}/v1/chat/completions`, rig.keys.app, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: `key ${AWS_KEY}` }],
    });
    assert.equal(r.status, 400);
    assert.equal((r.json!.error as { code: string }).code, 'dlp_blocked');
    assert.match((r.json!.error as { message: string }).message, /AWS_ACCESS_KEY/);
    assert.ok(!r.text.includes(AWS_KEY) && !r.text.includes(AWS_KEY.slice(-6)));
    assert.equal(posts(), before, 'nothing forwarded');
  });

  test('route override: embeddings inputs redacted (arrays too)', async () => {
    await openai(rig.keys.app).embeddings.create({ model: 'gpt-test', input: ['hello', `to ${EMAIL}`] });
    const sent = lastUpstreamBody();
    assert.ok(!sent.includes(EMAIL));
    assert.ok(sent.includes('to [REDACTED:EMAIL]'));
    // The pre-forward entry carries the trail up to forwarding.
    const authorized = rig.audit.entries.filter((e) => e.type === 'request.authorized').at(-1)!;
    const inspect = trailOf(authorized).find((t) => t.stage === 'inspect-in')!;
    assert.equal(inspect.detail!.override, 0);
  });

  test('model override: masked before the model sees it', async () => {
    await openai(rig.keys.app).chat.completions.create({
      model: 'other',
      messages: [{ role: 'user', content: `card ${CARD} please` }],
    });
    const sent = lastUpstreamBody();
    assert.ok(!sent.includes(CARD));
    assert.ok(sent.includes(`card [REDACTED:CREDIT_CARD:…${CARD_TAIL}] please`));
  });

  test('principal override: e-mail blocked for finance-app; the credential default still blocks', async () => {
    const before = posts();
    for (const content of [`mail ${EMAIL}`, `key ${AWS_KEY}`]) {
      const r = await postJson(`${rig.url}/v1/chat/completions`, rig.keys.finance, {
        model: 'gpt-test',
        messages: [{ role: 'user', content }],
      });
      assert.equal((r.json!.error as { code: string }).code, 'dlp_blocked');
      assert.ok(!r.text.includes(EMAIL) && !r.text.includes(AWS_KEY));
    }
    assert.equal(posts(), before);
  });

  test('principal override on output: a card in a JSON answer and in a stream is masked to its last four', async () => {
    rig.upstream.setBehaviour({ word: `pay ${CARD} now ` });
    try {
      const res = await openai(rig.keys.finance).chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const content = res.choices[0]?.message.content ?? '';
      assert.ok(!content.includes(CARD));
      assert.equal(content, `pay [REDACTED:CREDIT_CARD:…${CARD_TAIL}] now `.repeat(3));
      const stream = await openai(rig.keys.finance).chat.completions.create({
        model: 'gpt-test',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, `pay [REDACTED:CREDIT_CARD:…${CARD_TAIL}] now `.repeat(3));
      // Another caller keeps the default (alert): the answer is not rewritten.
      const plain = await openai(rig.keys.app).chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.ok(plain.choices[0]?.message.content?.includes(CARD));
    } finally {
      rig.upstream.setBehaviour({ word: 'tok ' });
    }
  });
});

describe('/v1: block on output', () => {
  test('route override: a credential in a completion refuses the JSON answer and ends the stream', async () => {
    rig.upstream.setBehaviour({ word: `key ${AWS_KEY} ` });
    try {
      const r = await postJson(`${rig.url}/v1/completions`, rig.keys.app, {
        model: 'gpt-test',
        prompt: 'hi',
      });
      assert.equal((r.json!.error as { code: string }).code, 'dlp_blocked');
      assert.match(r.text, /AWS_ACCESS_KEY/);
      assert.ok(!r.text.includes(AWS_KEY));
      const res = await fetch(`${rig.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.keys.app}` },
        body: JSON.stringify({ model: 'gpt-test', prompt: 'hi', stream: true }),
      });
      const body = await res.text();
      assert.ok(!body.includes(AWS_KEY) && !body.includes(AWS_KEY.slice(4)));
      assert.match(body, /dlp_blocked/);
      assert.ok(!body.includes('[DONE]'), 'the stream ends with an error, not a normal end');
      // Chat is not under that override: the default redacts.
      const chat = await openai(rig.keys.app).chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.ok(chat.choices[0]?.message.content?.includes('[REDACTED:AWS_ACCESS_KEY]'));
    } finally {
      rig.upstream.setBehaviour({ word: 'tok ' });
    }
  });
});

describe('/mcp: tool arguments and results', () => {
  test('principal + route override: personal data masked in, a credential in a result refuses it', async () => {
    const ops = await mcpClient(rig.keys.ops);
    const masked = await ops.callTool({ name: 'fixture__echo', arguments: { text: `card ${CARD}` } });
    assert.equal(
      textOf(masked),
      `card [REDACTED:CREDIT_CARD:…${CARD_TAIL}]`,
      'the tool never saw the number',
    );
    const err = await ops.callTool({ name: 'fixture__reveal_secret', arguments: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, 'blocked');
    assert.match(err.message, /GITHUB_PAT/);
    assert.ok(!err.message.includes(FIXTURE_SECRET));
    // Everyone else keeps the default for results: redacted, not refused.
    const app = await mcpClient(rig.keys.app);
    const redacted = textOf(await app.callTool({ name: 'fixture__reveal_secret', arguments: {} }));
    assert.ok(redacted.includes('[REDACTED:GITHUB_PAT]') && !redacted.includes(FIXTURE_SECRET));
    assert.ok(!JSON.stringify(rig.audit.entries).includes(FIXTURE_SECRET));
  });

  test('route override redacts personal data in arguments and results; first match wins for finance-app', async () => {
    const app = await mcpClient(rig.keys.app);
    const out = await app.callTool({ name: 'fixture__echo', arguments: { text: `write to ${EMAIL}` } });
    assert.equal(textOf(out), 'write to [REDACTED:EMAIL]');
    const finance = await mcpClient(rig.keys.finance);
    const refused = await finance
      .callTool({ name: 'fixture__echo', arguments: { text: `write to ${EMAIL}` } })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    assert.ok(refused, 'override 1 (block) matched before override 3 (redact)');
    assert.match(refused.message, /EMAIL/);
    assert.ok(!refused.message.includes(EMAIL));
    // finance-app's output mask applies to tool results too (a card passes in: alert by default).
    const masked = await finance.callTool({ name: 'fixture__echo', arguments: { text: `card ${CARD}` } });
    assert.equal(textOf(masked), `card [REDACTED:CREDIT_CARD:…${CARD_TAIL}]`);
  });

  test('a credential in tool arguments is blocked by default, naming the type only', async () => {
    const app = await mcpClient(rig.keys.app);
    const err = await app.callTool({ name: 'fixture__echo', arguments: { text: `use ${AWS_KEY}` } }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err);
    assert.match(err.message, /AWS_ACCESS_KEY/);
    assert.ok(!err.message.includes(AWS_KEY));
  });
});

describe('/api: request parts and responses', () => {
  test('route override redacts personal data in the body before the service sees it', async () => {
    const seen = rig.orders.seen.length;
    const r = await postJson(`${rig.url}/api/orders/orders`, rig.keys.app, {
      sku: 'ABC-123',
      quantity: 2,
      note: `ship to ${EMAIL}`,
    });
    assert.equal(r.status, 201);
    const got = rig.orders.seen.slice(seen).at(-1)!;
    assert.ok(!got.body.includes(EMAIL));
    assert.ok(got.body.includes('ship to [REDACTED:EMAIL]'));
  });

  test('route override blocks an answer that carries a credential; the error names the type only', async () => {
    const res = await fetch(`${rig.url}/api/orders/orders/7/debug`, {
      headers: { authorization: `Bearer ${rig.keys.app}` },
    });
    const text = await res.text();
    assert.equal(res.status, 400);
    assert.match(text, /dlp_blocked/);
    assert.match(text, /AWS_ACCESS_KEY/);
    assert.ok(!text.includes('AKIA'));
  });
});

describe('findings in the Cedar decision (context.findings)', () => {
  test('/v1: a forbid on EMAIL denies the prompt with an e-mail (forbidden, not a hidden model); the clean prompt passes', async () => {
    const before = posts();
    const r = await postJson(`${rig.url}/v1/chat/completions`, rig.keys.strict, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: `mail ${EMAIL}` }],
    });
    assert.equal(r.status, 403);
    assert.equal((r.json!.error as { code: string }).code, 'forbidden');
    assert.equal(posts(), before, 'nothing forwarded');
    const entry = completed();
    const authorize = trailOf(entry).find((t) => t.stage === 'authorize')!;
    assert.deepEqual(authorize.detail!.policies, ['strict.no-email']);
    assert.deepEqual(authorize.detail!.findings, {
      types: ['EMAIL'],
      count: 1,
      hasCredential: false,
      hasPii: true,
    });
    const findings = (entry.detail as { findings: { direction: string; type: string }[] }).findings;
    assert.deepEqual(
      findings.map((f) => [f.direction, f.type]),
      [['input', 'EMAIL']],
      'the denied request still records what the decision saw',
    );
    assert.ok(!JSON.stringify(rig.audit.entries).includes(EMAIL), 'never the value');
    const ok = await openai(rig.keys.strict).chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'a clean prompt' }],
    });
    assert.ok(ok.choices[0]?.message.content);
  });

  test('/mcp: the same forbid denies a tool call with an e-mail in its arguments; the clean call passes', async () => {
    const strict = await mcpClient(rig.keys.strict);
    const err = await strict.callTool({ name: 'fixture__echo', arguments: { text: `to ${EMAIL}` } }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err);
    assert.ok(!err.message.includes(EMAIL));
    const entry = rig.audit.entries.filter((e) => e.type === 'request.completed').at(-1)!;
    assert.equal(entry.code, 'forbidden');
    const clean = await strict.callTool({ name: 'fixture__echo', arguments: { text: 'hello' } });
    assert.equal(textOf(clean), 'hello');
  });

  test('/api: the same forbid denies a call with an e-mail in its body', async () => {
    const seen = rig.orders.seen.length;
    const r = await postJson(`${rig.url}/api/orders/orders`, rig.keys.strict, {
      sku: 'ABC-123',
      quantity: 1,
      note: `to ${EMAIL}`,
    });
    assert.equal(r.status, 403);
    assert.equal(rig.orders.seen.length, seen);
    const ok = await postJson(`${rig.url}/api/orders/orders`, rig.keys.strict, {
      sku: 'ABC-123',
      quantity: 1,
    });
    assert.equal(ok.status, 201);
  });
});
