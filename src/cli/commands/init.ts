// airlock init --data DIR — a working data folder on embedded defaults: config, server secrets
// (0600), the generated demo model (signed with a new custody key, imported, approved and active, so
// custody is enforced from the first start), a bootstrap admin key and a first client key, each
// shown once.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createCustodyKey, importInitialModel } from '../../custody/bootstrap.ts';
import { openCustody } from '../../custody/open.ts';
import { createKeyServiceFor } from '../../gateway.ts';
import { toJsonObject } from '../../http/stages/record.ts';
import { writeDemoModel } from '../../inference/worker/demo-model.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import { openCliRuntime } from '../runtime.ts';
import type { CliCommand } from '../types.ts';

const usage =
  'usage: airlock init --data DIR [--port N] [--json]\n  Creates DIR/airlock.yaml; the admin surface listens on port N+1.';

export function defaultConfig(
  port: number,
  custodyKey: { name: string; publicKey: string },
): Record<string, unknown> {
  return {
    version: 1,
    dataDir: '.',
    listeners: { client: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: port + 1 } },
    store: { driver: 'sqlite', path: 'airlock.db' },
    upstreams: [
      // The worker loads whatever approved version the inventory alias `demo` points at, from the
      // content-addressed store, re-hashed before every start.
      { name: 'embedded', kind: 'embedded', worker: { model: 'demo', contextSize: 512 } },
    ],
    models: [
      {
        alias: 'demo',
        endpoints: ['chat', 'completions'],
        targets: [{ upstream: 'embedded', model: 'demo' }],
      },
    ],
    keys: { maxTtl: '90d', rotationOverlap: '24h' },
    quotas: { perKey: { requestsPerMinute: 600, concurrency: 16 } },
    // The installer's custody key signed the demo model; enforce and twoPerson are on by default.
    custody: { trustedKeys: [custodyKey] },
    // A unique origin per install, so checkpoints of two logs can never be confused.
    audit: { origin: `airlock.local/${randomBytes(6).toString('hex')}` },
  };
}

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'create a data folder with config, secrets, demo model and first keys',
  usage,
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      data: { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean' },
    });
    const dir = resolve(io.cwd, requireFlag(values.data, 'data'));
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65534) throw new UsageError('--port must be 1-65534');
    const configPath = join(dir, 'airlock.yaml');
    if (existsSync(configPath)) throw new UsageError(`${configPath} already exists; pick an empty folder`);
    mkdirSync(join(dir, 'models'), { recursive: true, mode: 0o700 });
    const custodyKey = await createCustodyKey(dir);
    writeFileSync(
      configPath,
      `# airlock configuration — see docs/config.md\n${stringify(defaultConfig(port, custodyKey.trusted))}`,
      { mode: 0o600 },
    );
    const modelPath = join(dir, 'models', 'demo.gguf');
    await writeDemoModel(modelPath);

    const runtime = await openCliRuntime(configPath, io);
    try {
      const pending: Promise<unknown>[] = [];
      const custody = openCustody(runtime.loaded.dataDir, runtime.loaded.config.custody, (e) =>
        pending.push(
          runtime.audit.append({
            type: 'admin.change',
            outcome: 'info',
            principal: { kind: 'cli', id: 'airlock-init' },
            detail: toJsonObject({ change: e.type, ...e }),
          }),
        ),
      );
      try {
        await importInitialModel({
          dataDir: runtime.loaded.dataDir,
          inventory: custody.inventory,
          trustedKeys: custody.trustedKeys,
          signingKey: custodyKey.privateKey,
          modelPath,
          name: 'demo',
          version: '1',
          alias: 'demo',
        });
      } finally {
        custody.close();
        await Promise.all(pending);
      }
      // The store holds the imported (read-only) copy; the generated source is not needed.
      rmSync(modelPath, { force: true });
      const keys = createKeyServiceFor(runtime.loaded.config, {
        store: runtime.store,
        dataDir: runtime.loaded.dataDir,
        audit: runtime.audit,
      });
      const actor = 'airlock-init';
      const admin = await keys.create({
        owner: 'bootstrap-admin',
        kind: 'admin',
        ttlMs: 7 * 86_400_000,
        actor,
      });
      const client = await keys.create({
        owner: 'first-client',
        models: ['demo'],
        ttlMs: 30 * 86_400_000,
        actor,
      });
      const url = `http://127.0.0.1:${port}`;
      if (values.json) {
        printJson(io.stdout, {
          config: configPath,
          url,
          adminUrl: `http://127.0.0.1:${port + 1}`,
          adminKey: admin.key,
          clientKey: client.key,
          custodyKey: custodyKey.path,
        });
      } else {
        io.stdout.write(
          `created ${configPath}\n\nadmin key (admin surface only, expires ${admin.expiresAt.toISOString()}; shown once):\n  ${admin.key}\n` +
            `client key (may call model "demo", expires ${client.expiresAt.toISOString()}; shown once):\n  ${client.key}\n` +
            `custody signing key (signed the demo model; trusted in the config; 0600):\n  ${custodyKey.path}\n\n` +
            `start:  airlock serve --config ${configPath}\ncall:   curl ${url}/v1/chat/completions -H "Authorization: Bearer <client key>" \\\n          -H 'content-type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}'\n`,
        );
      }
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
