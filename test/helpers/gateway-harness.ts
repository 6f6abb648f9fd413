// Builds a real gateway in-process for integration tests: real Fastify listeners on loopback, a
// real SQLite store in a temp folder, real adapters and router, and a recording audit sink.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import type { AirlockConfig } from '../../src/config/schema.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { AuditEvent, AuditSink } from '../../src/http/stages/record.ts';
import { closeAdapters, createAdapters } from '../../src/inference/adapter-registry.ts';
import { createRouter } from '../../src/inference/router.ts';
import { createLogger } from '../../src/logging.ts';
import { createSecretResolver } from '../../src/secrets/secret-files.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';

export interface RecordingAuditSink extends AuditSink {
  readonly entries: AuditEvent[];
  /** Make appends fail (the log becomes unwritable) or recover. */
  setBroken(reason: string | undefined): void;
}

export function createRecordingAuditSink(): RecordingAuditSink {
  const entries: AuditEvent[] = [];
  let broken: string | undefined;
  return {
    entries,
    setBroken(reason) {
      broken = reason;
    },
    async append(event) {
      if (broken) throw new Error(broken);
      entries.push(structuredClone(event));
      return { index: entries.length - 1 };
    },
    health: () => (broken ? { ok: false, reason: broken } : { ok: true }),
  };
}

export interface Harness {
  readonly url: string;
  readonly adminUrl: string;
  readonly clientKey: string;
  readonly adminKey: string;
  readonly gateway: Gateway;
  readonly store: Store;
  readonly audit: RecordingAuditSink;
  readonly dataDir: string;
  readonly config: AirlockConfig;
  close(): Promise<void>;
}

/** `overrides` is merged over a config whose upstream `mock` points at `upstreamUrl`. */
export async function startHarness(
  upstreamUrl: string,
  overrides: Record<string, unknown> = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-it-'));
  mkdirSync(join(dataDir, 'secrets'), { mode: 0o700 });
  writeFileSync(join(dataDir, 'secrets', 'UPSTREAM_KEY'), 'sk-upstream-secret-value\n', { mode: 0o600 });
  const config = parseConfig({
    version: 1,
    dataDir,
    listeners: { client: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
    upstreams: [
      {
        name: 'mock',
        kind: 'openai',
        baseUrl: upstreamUrl,
        apiKey: 'secret:UPSTREAM_KEY',
        timeouts: { connect: '1s', firstByte: '2s', idle: '1s', total: '10s' },
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
    ...overrides,
  });
  const store = await openSqliteStore({ path: join(dataDir, 'airlock.db') });
  await store.migrate();
  const adapters = await createAdapters(config.upstreams, { resolveSecret: createSecretResolver(dataDir) });
  const router = createRouter(config, { adapters });
  const audit = createRecordingAuditSink();
  const logger = createLogger('silent');
  const gateway = createGateway(config, { store, router, audit, logger, dataDir });
  const urls = await gateway.start();
  const client = await gateway.keys.create({
    owner: 'test-app',
    models: ['gpt-test'],
    ttlMs: 3_600_000,
    actor: 'test',
  });
  const admin = await gateway.keys.create({
    owner: 'test-admin',
    kind: 'admin',
    ttlMs: 3_600_000,
    actor: 'test',
  });
  return {
    url: urls.client,
    adminUrl: urls.admin!,
    clientKey: client.key,
    adminKey: admin.key,
    gateway,
    store,
    audit,
    dataDir,
    config,
    async close() {
      await gateway.close();
      await closeAdapters(adapters);
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POST JSON with a bearer key; returns status, headers and parsed body. */
export async function postJson(
  url: string,
  key: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
