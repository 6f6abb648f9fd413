// Vault round trips on both store drivers: put/get/list/rotate/retire/delete, rewrap, the resolver.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { AirlockError } from '../../src/errors.ts';
import { loadMasterKeyFile, MasterKey } from '../../src/secrets/master-key.ts';
import { type OpenedVault, openVault } from '../../src/secrets/open-vault.ts';
import { vaultConfigSchema } from '../../src/secrets/vault-config.ts';
import { createVaultSecretResolver } from '../../src/secrets/vault-resolver.ts';
import { createHarness, type DbHarness } from './vault-harness.ts';

const fileConfig = vaultConfigSchema.parse({});

for (const driver of ['sqlite', 'postgres'] as const) {
  describe(`vault on ${driver}`, () => {
    let h: DbHarness;
    let opened: OpenedVault;
    before(async () => {
      h = await createHarness(driver);
      opened = await openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store });
    });
    after(async () => {
      await opened?.close();
      await h?.teardown();
    });

    test('put → get round trip; list shows names and versions, never values', async () => {
      const { vault } = opened;
      assert.deepEqual(await vault.put('OPENAI_KEY', 'sk-live-round-trip-1'), {
        name: 'OPENAI_KEY',
        version: 1,
      });
      assert.equal(await vault.get('OPENAI_KEY'), 'sk-live-round-trip-1');
      const list = await vault.list();
      const entry = list.find((s) => s.name === 'OPENAI_KEY');
      assert.equal(entry?.current, 1);
      assert.equal(entry?.versions.length, 1);
      assert.ok(!JSON.stringify(list).includes('sk-live-round-trip-1'));
      await assert.rejects(vault.put('OPENAI_KEY', 'x'), (e: AirlockError) => e.code === 'conflict');
    });

    test('rotate keeps the old version readable until it is retired (crypto-shredded)', async () => {
      const { vault } = opened;
      await vault.put('ROTATED', 'value-one');
      assert.deepEqual(await vault.rotate('ROTATED', 'value-two'), { name: 'ROTATED', version: 2 });
      assert.equal(await vault.get('ROTATED'), 'value-two');
      assert.equal(await vault.get('ROTATED', 1), 'value-one');
      await vault.retire('ROTATED', 1);
      await assert.rejects(vault.get('ROTATED', 1), (e: AirlockError) => e.code === 'secret_not_found');
      const [row] = await h.sql(
        'SELECT ciphertext, wrapped_key FROM vault_secrets WHERE name = ? AND version = 1',
        ['ROTATED'],
      );
      assert.equal((row!.ciphertext as Buffer).length, 0);
      assert.equal((row!.wrapped_key as Buffer).length, 0);
      assert.equal(await vault.get('ROTATED'), 'value-two');
      await assert.rejects(vault.rotate('MISSING', 'v'), (e: AirlockError) => e.code === 'secret_not_found');
    });

    test('delete removes every version', async () => {
      const { vault } = opened;
      await vault.put('GONE', 'a');
      await vault.rotate('GONE', 'b');
      await vault.delete('GONE');
      await assert.rejects(vault.get('GONE'), (e: AirlockError) => e.code === 'secret_not_found');
      assert.equal((await h.sql('SELECT name FROM vault_secrets WHERE name = ?', ['GONE'])).length, 0);
      await assert.rejects(vault.delete('GONE'), (e: AirlockError) => e.code === 'secret_not_found');
    });

    test('the database holds ciphertext only', async () => {
      const { vault } = opened;
      const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
      await vault.put('MARKED', marker);
      const rows = await h.sql('SELECT * FROM vault_secrets');
      for (const row of rows)
        for (const v of Object.values(row)) {
          const bytes = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
          assert.equal(bytes.includes(marker), false);
        }
    });

    test('rewrap: new master key, same value ciphertexts; the old key no longer opens the vault', async () => {
      const { vault } = opened;
      await vault.put('REWRAPPED', 'kept-across-rewrap');
      const before = await h.sql('SELECT ciphertext, wrapped_key FROM vault_secrets WHERE name = ?', [
        'REWRAPPED',
      ]);
      const next = new MasterKey(randomBytes(32), { kind: 'file' });
      const { rewrapped } = await vault.rewrap(next);
      assert.ok(rewrapped >= 1);
      assert.equal(await vault.get('REWRAPPED'), 'kept-across-rewrap');
      const afterRows = await h.sql('SELECT ciphertext, wrapped_key FROM vault_secrets WHERE name = ?', [
        'REWRAPPED',
      ]);
      assert.deepEqual(afterRows[0]!.ciphertext, before[0]!.ciphertext, 'values are not re-encrypted');
      assert.notDeepEqual(afterRows[0]!.wrapped_key, before[0]!.wrapped_key);
      // The file still holds the old key: reopening with it must fail closed.
      await assert.rejects(
        openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store }),
        (e: AirlockError) => e.code === 'vault_unavailable',
      );
      // Install the new key (what `airlock secrets rewrap` does) and reopen.
      writeFileSync(join(h.dataDir, 'secrets', 'master.key'), next.bytes(), { mode: 0o600 });
      const again = await openVault(fileConfig, { dataDir: h.dataDir, env: {}, store: h.store });
      try {
        assert.equal(await again.vault.get('REWRAPPED'), 'kept-across-rewrap');
        assert.equal(await again.vault.get('OPENAI_KEY'), 'sk-live-round-trip-1');
      } finally {
        await again.close();
      }
      assert.ok(loadMasterKeyFile(join(h.dataDir, 'secrets', 'master.key')).check === next.check);
    });

    test('resolver: vault first, then the secret files; internal names refused', async () => {
      const { vault } = opened;
      writeFileSync(join(h.dataDir, 'secrets', 'FILE_ONLY'), 'from-file\n', { mode: 0o600 });
      await vault.put('airlock.user.x.totp', 'seed');
      const r = createVaultSecretResolver(vault, { dataDir: h.dataDir });
      try {
        assert.throws(
          () => r.resolve('secret:OPENAI_KEY'),
          (e: AirlockError) => e.code === 'vault_unavailable',
        );
        await r.refresh();
        assert.equal(r.resolve('secret:OPENAI_KEY'), 'sk-live-round-trip-1');
        assert.equal(r.resolve('secret:FILE_ONLY'), 'from-file');
        assert.throws(
          () => r.resolve('secret:airlock.user.x.totp'),
          (e: AirlockError) => e.code === 'secret_not_found',
        );
        await vault.rotate('OPENAI_KEY', 'sk-live-rotated');
        await r.refresh();
        assert.equal(r.resolve('secret:OPENAI_KEY'), 'sk-live-rotated');
        assert.equal(inspect(r), '[VaultSecretResolver]');
        assert.equal(inspect(vault), '[Vault]');
        assert.deepEqual(r.status(), { ok: true });
      } finally {
        r.close();
      }
    });
  });
}

test('vault: a store that cannot be reached is vault_unavailable', async () => {
  await assert.rejects(
    openVault(fileConfig, {
      dataDir: '/nonexistent-airlock',
      env: {},
      store: { driver: 'sqlite', path: '/nonexistent-airlock/airlock.db' },
    }),
    (e: AirlockError) => e instanceof AirlockError && e.code === 'vault_unavailable',
  );
});
