// prompts/* and resources/* through /mcp with the official SDK client: two stdio servers behind the
// gateway (the project's content fixture and @modelcontextprotocol/server-memory), the real Cedar
// decision point deciding per caller (P4: lists show only what the caller may use; a refused
// prompt or resource looks unknown), DLP on prompt arguments and on what comes back (P6), and an
// audit entry per request (P9).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createDlpEngine } from '../../src/dlp/engine.ts';
import { checksummed } from '../../src/dlp/rules/synth.ts';
import { buildListener, type Listener } from '../../src/http/server.ts';
import { createBodyHasher } from '../../src/http/stages/record.ts';
import { mcpConfigSchema } from '../../src/mcp/config.ts';
import { createMcpContent } from '../../src/mcp/content.ts';
import { createPolicyContentAuthorizer } from '../../src/mcp/content-authorizer.ts';
import { createContentCatalog } from '../../src/mcp/content-catalog.ts';
import { createMcpPlane, type McpPlane } from '../../src/mcp/plane.ts';
import { createPolicyToolAuthorizer } from '../../src/mcp/policy-authorizer.ts';
import { createMcpRecordStage } from '../../src/mcp/record.ts';
import { registerMcpSurface } from '../../src/mcp/surface.ts';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { createSecretResolver } from '../../src/secrets/secret-files.ts';
import {
  createRecordingAuditSink,
  NODE_MODULES,
  principal,
  type RecordingAuditSink,
  stubAuthenticate,
} from '../fixtures/mcp/harness.ts';

const CONTENT_SERVER = join(import.meta.dirname, '../fixtures/mcp/content-server.ts');
const SECRET = checksummed('ghp_', 'content-secret');

const POLICIES = `
@id("app-prompts")
permit (principal == Airlock::ServiceAccount::"app", action in [Airlock::Action::"prompts/list", Airlock::Action::"prompts/get"], resource is Airlock::Prompt)
when { resource.name != "content__internal_only" };

@id("no-salary-summaries")
forbid (principal, action == Airlock::Action::"prompts/get", resource is Airlock::Prompt)
when { context has arguments && context.arguments.hasTag("topic") && context.arguments.getTag("topic") == "salaries" };

@id("app-public-resources")
permit (principal == Airlock::ServiceAccount::"app", action in [Airlock::Action::"resources/list", Airlock::Action::"resources/read"], resource is Airlock::Resource)
when { resource.uri like "memo://public/*" || resource.uri == "memory://knowledge-graph" };
`;

describe('MCP prompts and resources, filtered by policy per caller', () => {
  let dataDir: string;
  let plane: McpPlane;
  let listener: Listener;
  let url: string;
  let audit: RecordingAuditSink;
  const clients: Client[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-mcp-content-'));
    mkdirSync(join(dataDir, 'secrets'), { mode: 0o700 });
    writeFileSync(join(dataDir, 'secrets', 'CONTENT_SECRET'), `${SECRET}\n`, { mode: 0o600 });
    const config = mcpConfigSchema.parse({
      surface: { allowedHosts: ['127.0.0.1'] },
      servers: [
        {
          name: 'content',
          transport: 'stdio',
          command: 'node',
          args: [CONTENT_SERVER],
          env: { CONTENT_SECRET: 'secret:CONTENT_SECRET' },
          requireApproval: false,
        },
        {
          name: 'memory',
          transport: 'stdio',
          command: 'node',
          args: [join(NODE_MODULES, '@modelcontextprotocol/server-memory/dist/index.js')],
          vars: { MEMORY_FILE_PATH: join(dataDir, 'memory.jsonl') },
          requireApproval: false,
        },
      ],
    });
    audit = createRecordingAuditSink();
    const dlp = createDlpEngine({});
    plane = createMcpPlane(config, { dataDir, resolveSecret: createSecretResolver(dataDir), audit });
    await plane.start();
    const pdp = createCedarDecisionPoint({ policies: POLICIES, version: 'content-test', cacheSize: 100 });
    listener = buildListener(
      { host: '127.0.0.1', port: 0 },
      {
        bodyBytes: 1 << 20,
        headerBytes: 16 * 1024,
        requestTimeout: '30s',
        maxConcurrent: 16,
        maxMessages: 64,
      },
    );
    const hasher = createBodyHasher(new Uint8Array(32).fill(3));
    let n = 0;
    registerMcpSurface(listener.app, {
      config: config.surface,
      catalog: plane.catalog,
      authenticate: stubAuthenticate({ 'app-token': principal('app'), 'bob-token': principal('bob') }),
      authorize: createPolicyToolAuthorizer(pdp),
      inspect: { engine: dlp },
      record: createMcpRecordStage({ sink: audit, hasher }),
      requestId: () => `req_c${++n}`,
      hasher,
      content: createMcpContent({
        catalog: createContentCatalog({ upstreams: plane.upstreams }),
        authorize: createPolicyContentAuthorizer(pdp),
        inspect: { engine: dlp },
      }),
    });
    url = `${await listener.listen()}/mcp`;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await listener.close();
    await plane.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'content-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  const codeOf = async (p: Promise<unknown>): Promise<string> => {
    const err = await p.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError, String(err));
    return (err.data as { code: string }).code;
  };
  const texts = (r: { messages?: unknown[]; contents?: unknown[] }) =>
    JSON.stringify(r.messages ?? r.contents ?? []);

  test('initialize declares prompts and resources; lists show each caller only what it may use', async () => {
    const app = await connect('app-token');
    const caps = app.getServerCapabilities();
    assert.ok(caps?.prompts && caps.resources);
    const prompts = (await app.listPrompts()).prompts.map((p) => p.name).sort();
    assert.deepEqual(prompts, ['content__leaky', 'content__summarize']);
    const resources = (await app.listResources()).resources.map((r) => r.uri).sort();
    assert.deepEqual(resources, [
      'airlock://content/memo://public/key',
      'airlock://content/memo://public/readme',
      'airlock://memory/memory://knowledge-graph',
    ]);
    const templates = (await app.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    assert.deepEqual(templates, ['airlock://content/memo://public/{name}']);

    const bob = await connect('bob-token');
    assert.deepEqual((await bob.listPrompts()).prompts, []);
    assert.deepEqual((await bob.listResources()).resources, []);
  });

  test('prompts/get: allowed, refused by a forbid on its arguments, hidden, or blocked by DLP', async () => {
    const app = await connect('app-token');
    const ok = await app.getPrompt({ name: 'content__summarize', arguments: { topic: 'the roadmap' } });
    assert.match(texts(ok), /Summarize the roadmap in three lines\./);
    assert.equal(
      await codeOf(app.getPrompt({ name: 'content__summarize', arguments: { topic: 'salaries' } })),
      'mcp_content_not_found',
    );
    assert.equal(await codeOf(app.getPrompt({ name: 'content__internal_only' })), 'mcp_content_not_found');
    assert.equal(
      await codeOf(app.getPrompt({ name: 'content__summarize', arguments: { topic: SECRET } })),
      'dlp_blocked',
      'a credential in prompt arguments never reaches the server',
    );
    const leaky = await app.getPrompt({ name: 'content__leaky' });
    assert.ok(!texts(leaky).includes(SECRET), 'a credential in a prompt is redacted on the way out');
    assert.match(texts(leaky), /Use the key .+ to log in\./);
    const bob = await connect('bob-token');
    assert.equal(
      await codeOf(bob.getPrompt({ name: 'content__summarize', arguments: { topic: 'x' } })),
      'mcp_content_not_found',
    );
  });

  test('resources/read: by exposed URI (templates too), policy on the server’s own URI, DLP on contents', async () => {
    const app = await connect('app-token');
    const readme = await app.readResource({ uri: 'airlock://content/memo://public/readme' });
    assert.deepEqual(
      readme.contents.map((c) => [c.uri, (c as { text?: string }).text]),
      [['airlock://content/memo://public/readme', 'hello from the readme']],
    );
    const fromTemplate = await app.readResource({ uri: 'airlock://content/memo://public/notes' });
    assert.equal((fromTemplate.contents[0] as { text: string }).text, 'memo notes');
    const graph = await app.readResource({ uri: 'airlock://memory/memory://knowledge-graph' });
    assert.deepEqual(JSON.parse((graph.contents[0] as { text: string }).text), {
      entities: [],
      relations: [],
    });
    const key = await app.readResource({ uri: 'airlock://content/memo://public/key' });
    assert.ok(!texts(key).includes(SECRET));
    assert.equal(
      await codeOf(app.readResource({ uri: 'airlock://content/memo://private/plan' })),
      'mcp_content_not_found',
    );
    assert.equal(await codeOf(app.readResource({ uri: 'memo://public/readme' })), 'mcp_content_not_found');
    // A policy on memo://public/* does not admit a path that climbs out of it.
    for (const uri of [
      'airlock://content/memo://public/../private/plan',
      'airlock://content/memo://public/%2e%2e/private/plan',
    ])
      assert.equal(await codeOf(app.readResource({ uri })), 'mcp_content_not_found', uri);
    const bob = await connect('bob-token');
    assert.equal(
      await codeOf(bob.readResource({ uri: 'airlock://content/memo://public/readme' })),
      'mcp_content_not_found',
    );

    const completed = audit.entries.filter(
      (e) => e.type === 'request.completed' && e.detail?.operation === 'resources/read',
    );
    assert.ok(completed.some((e) => e.outcome === 'allow'));
    assert.ok(completed.some((e) => e.outcome === 'deny' && e.code === 'mcp_content_not_found'));
    const redacted = completed.find((e) =>
      JSON.stringify(e.detail?.findings ?? []).includes('"direction":"output"'),
    );
    assert.ok(redacted, 'the redaction is in the audit entry (types, never the value)');
    assert.ok(!JSON.stringify(audit.entries).includes(SECRET));
  });
});
