// Attacks on the vault at rest: tampered ciphertext, nonce, wrapped key or AAD (a row moved to another
// name or version), a master key file others can read, a wrong passphrase, and plaintext on disk.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { AirlockError } from '../../src/errors.ts';
import { loadMasterKeyFile } from '../../src/secrets/master-key.ts';
import { type OpenedVault, openVault } from '../../src/secrets/open-vault.ts';
import { vaultConfigSchema } from '../../src/secrets/vault-config.ts';
import { createVaultSecretResolver } from '../../src/secrets/vault-resolver.ts';
import { createHarness, type DbHarness } from '../integration/vault-harness.ts';

const fileConfig = vaultConfigSchema.parse({});
const unavailable = (e: AirlockError) => e.code === 'vault_unavailable';

describe('vault tampering (sqlite)', () => {
  let h: DbHarness;
  let opened: OpenedVault;
  before(async () => {
    h = await createHarness('sqlite');
    opened = await openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store });
  });
  after(async () => {
    await opened?.close();
    await h?.teardown();
  });
  let n = 0;
  let name = '';
  beforeEach(async () => {
    name = `T${++n}`;
    await opened.vault.put(name, 'tamper-target-value');
  });

  const flip = async (column: string) => {
    const [row] = await h.sql(`SELECT ${column} AS v FROM vault_secrets WHERE name = ?`, [name]);
    const b = Buffer.from(row!.v as Buffer);
    b[b.length >> 1]! ^= 0x01;
    await h.sql(`UPDATE vault_secrets SET ${column} = ? WHERE name = ?`, [b, name]);
  };

  for (const column of ['ciphertext', 'nonce', 'wrapped_key', 'wrap_nonce']) {
    test(`one flipped bit in ${column} → vault_unavailable, reported to readiness`, async () => {
      await flip(column);
      await assert.rejects(opened.vault.get(name), unavailable);
      assert.equal(opened.vault.status().ok, false);
      assert.match(opened.vault.status().reason ?? '', new RegExp(`${name} v1 failed its integrity check`));
      const r = createVaultSecretResolver(opened.vault);
      await assert.rejects(r.refresh(), unavailable);
      assert.throws(() => r.resolve(`secret:${name}`), unavailable);
      r.close();
      await opened.vault.delete(name);
      assert.equal(opened.vault.status().ok, true);
    });
  }

  test('AAD: a row moved to another name or version does not decrypt', async () => {
    await opened.vault.put(`${name}-other`, 'other-value');
    await h.sql('DELETE FROM vault_secrets WHERE name = ?', [`${name}-other`]);
    await h.sql('UPDATE vault_secrets SET name = ? WHERE name = ?', [`${name}-other`, name]);
    await assert.rejects(opened.vault.get(`${name}-other`), unavailable);
    await opened.vault.delete(`${name}-other`);
    await opened.vault.put(name, 'v1');
    await opened.vault.rotate(name, 'v2');
    await h.sql('DELETE FROM vault_secrets WHERE name = ? AND version = 1', [name]);
    await h.sql('UPDATE vault_secrets SET version = 1 WHERE name = ? AND version = 2', [name]);
    await assert.rejects(opened.vault.get(name, 1), unavailable);
    await opened.vault.delete(name);
  });

  test('truncated ciphertext fails closed, never returns partial plaintext', async () => {
    await h.sql('UPDATE vault_secrets SET ciphertext = substr(ciphertext, 1, 4) WHERE name = ?', [name]);
    await assert.rejects(opened.vault.get(name), unavailable);
    await opened.vault.delete(name);
  });

  test('no plaintext anywhere in the database files (main, WAL)', async () => {
    const marker = `ON-DISK-MARKER-${randomBytes(6).toString('hex')}`;
    await opened.vault.put(`${name}-disk`, marker);
    for (const f of readdirSync(h.dataDir).filter((f) => f.startsWith('airlock.db')))
      assert.equal(readFileSync(join(h.dataDir, f)).includes(marker), false, f);
  });
});

describe('vault master key', () => {
  test('a master key file readable by group or others (0644) is refused', async () => {
    const h = await createHarness('sqlite');
    try {
      const first = await openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store });
      await first.close();
      const path = join(h.dataDir, 'secrets', 'master.key');
      chmodSync(path, 0o644);
      await assert.rejects(
        openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store }),
        unavailable,
      );
      assert.throws(() => loadMasterKeyFile(path), unavailable);
      // Tolerant mode (the gateway): a vault that refuses everything and tells /readyz why.
      const degraded = await openVault(fileConfig, {
        dataDir: h.dataDir,
        env: {},
        store: h.store,
        tolerateUnavailable: true,
      });
      try {
        assert.equal(degraded.vault.status().ok, false);
        assert.match(degraded.vault.status().reason ?? '', /chmod 600/);
        await assert.rejects(degraded.vault.get('X'), unavailable);
      } finally {
        await degraded.close();
      }
    } finally {
      await h.teardown();
    }
  });

  test('a different key file → vault_unavailable, not garbage', async () => {
    const h = await createHarness('sqlite');
    try {
      const first = await openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store });
      await first.vault.put('K', 'v');
      await first.close();
      writeFileSync(join(h.dataDir, 'secrets', 'master.key'), randomBytes(32), { mode: 0o600 });
      await assert.rejects(
        openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store }),
        unavailable,
      );
    } finally {
      await h.teardown();
    }
  });

  test('passphrase: right one opens, wrong one → vault_unavailable; the key never prints', async () => {
    const h = await createHarness('sqlite');
    const config = vaultConfigSchema.parse({
      masterKey: { kind: 'passphrase', kdf: { memoryKiB: 19_456, passes: 2 } },
    });
    try {
      const env = { AIRLOCK_VAULT_PASSPHRASE: 'correct horse battery staple' };
      const first = await openVault(config, { dataDir: h.dataDir, env, store: h.store });
      await first.vault.put('P', 'passphrase-protected');
      await first.close();
      const [meta] = await h.sql('SELECT kdf FROM vault_meta');
      const kdf = JSON.parse(meta!.kdf as string);
      assert.equal(kdf.kind, 'argon2id');
      assert.equal(kdf.memory, 19_456);
      assert.ok(!JSON.stringify(meta).includes('correct horse'));
      await assert.rejects(
        openVault(config, {
          dataDir: h.dataDir,
          env: { AIRLOCK_VAULT_PASSPHRASE: 'wrong horse battery staple' },
          store: h.store,
        }),
        unavailable,
      );
      await assert.rejects(openVault(config, { dataDir: h.dataDir, env: {}, store: h.store }), unavailable);
      // A file-key config cannot open a passphrase vault (no silent new key).
      await assert.rejects(
        openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store }),
        unavailable,
      );
      const again = await openVault(config, { dataDir: h.dataDir, env, store: h.store });
      try {
        assert.equal(await again.vault.get('P'), 'passphrase-protected');
      } finally {
        await again.close();
      }
    } finally {
      await h.teardown();
    }
  });

  test('MasterKey redacts in inspect and JSON', async () => {
    const h = await createHarness('sqlite');
    try {
      const first = await openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store });
      await first.close();
      const key = loadMasterKeyFile(join(h.dataDir, 'secrets', 'master.key'));
      const hex = key.bytes().toString('hex');
      assert.equal(inspect(key).includes(hex), false);
      assert.equal(JSON.stringify({ key }).includes(hex), false);
      assert.match(inspect({ key }), /redacted/);
    } finally {
      await h.teardown();
    }
  });
});
