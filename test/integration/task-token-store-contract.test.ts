// Task-token state in the store, on both drivers (never skipped; PostgreSQL at 127.0.0.1:5432):
// revocations (durable, shared by every connection, lapse and prune) and signing keys kept as vault
// secrets — only ciphertext in the database — that a second keyring on the same database (another
// replica) loads and verifies with.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { createTaskTokenStore, type TaskTokenStore } from '../../src/identity/task-token-store.ts';
import { SIGNING_KEY_PREFIX } from '../../src/identity/token-signing-key-stores.ts';
import { createSigningKeyring } from '../../src/identity/token-signing-keys.ts';
import { type OpenedVault, openVault } from '../../src/secrets/open-vault.ts';
import { vaultConfigSchema } from '../../src/secrets/vault-config.ts';
import { createHarness, type DbHarness } from './vault-harness.ts';

const H = 3_600_000;

for (const driver of ['sqlite', 'postgres'] as const) {
  describe(`task-token store on ${driver}`, () => {
    let h: DbHarness;
    let a: OpenedVault;
    let b: OpenedVault;
    let storeA: TaskTokenStore;
    let storeB: TaskTokenStore;
    before(async () => {
      h = await createHarness(driver);
      const cfg = vaultConfigSchema.parse({});
      // Two "replicas": each its own connection and vault over the one database and master key.
      a = await openVault(cfg, { dataDir: h.dataDir, env: {}, store: h.store });
      b = await openVault(cfg, { dataDir: h.dataDir, env: {}, store: h.store });
      storeA = createTaskTokenStore({ connection: a.connection, vault: a.vault });
      storeB = createTaskTokenStore({ connection: b.connection, vault: b.vault });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await h?.teardown();
    });

    test('revocations: written on one connection, seen on the other; lapse, list and prune', async () => {
      const t = (ms: number) => new Date(1_900_000_000_000 + ms);
      await storeA.revocations.revokeTask('task-1', t(1000));
      await storeA.revocations.revokeToken('jti-1', t(500));
      const r = storeB.revocations;
      assert.equal(await r.isRevoked({ taskId: 'task-1', jti: 'x' }, t(0)), true);
      assert.equal(await r.isRevoked({ taskId: 'other', jti: 'jti-1' }, t(0)), true);
      assert.equal(await r.isRevoked({ taskId: 'other', jti: 'other' }, t(0)), false);
      assert.equal(await r.isRevoked({ jti: 'task-1' }, t(0)), false, 'kinds do not mix');
      await storeB.revocations.revokeTask('task-1', t(10)); // never shortens
      assert.equal(await storeA.revocations.isRevoked({ taskId: 'task-1' }, t(800)), true);
      assert.equal(await storeA.revocations.isRevoked({ jti: 'jti-1' }, t(800)), false);
      const listed = await storeA.revocations.list(t(0));
      assert.deepEqual(listed.map((e) => [e.kind, e.id, e.until.getTime()]).sort(), [
        ['jti', 'jti-1', t(500).getTime()],
        ['task', 'task-1', t(1000).getTime()],
      ]);
      assert.ok(listed.every((e) => e.revokedAt instanceof Date && !Number.isNaN(e.revokedAt.getTime())));
      assert.equal(await storeB.revocations.prune(t(800)), 1);
      assert.equal(await storeA.revocations.prune(t(2000)), 1);
      assert.deepEqual(await storeA.revocations.list(t(0)), []);
    });

    test('signing keys: a vault secret per key, ciphertext only; the other replica verifies by kid', async () => {
      let now = 1_900_000_000_000;
      const cfg = { rotationMs: 24 * H, retainMs: H, now: () => now };
      const ringA = createSigningKeyring(cfg, { keys: storeA.signingKeys });
      const ringB = createSigningKeyring(cfg, { keys: storeB.signingKeys });
      const k = await ringA.current();
      const token = await new jose.SignJWT({ task_id: 't' })
        .setProtectedHeader({ alg: 'EdDSA', kid: k.kid })
        .sign(k.privateKey);
      const pub = await ringB.publicKey(k.kid);
      assert.ok(pub, 'replica B finds the key replica A made');
      await jose.compactVerify(token, pub);
      assert.equal((await ringB.current()).kid, k.kid, 'B signs with the shared key, makes none');

      // At rest: the private key is not in the database in any encoding.
      const pem = k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      const der = k.privateKey.export({ format: 'der', type: 'pkcs8' });
      const d = (k.privateKey.export({ format: 'jwk' }) as { d: string }).d;
      const rows = await h.sql('SELECT name, ciphertext, wrapped_key FROM vault_secrets');
      const mine = rows.filter((r) => String(r.name).startsWith(SIGNING_KEY_PREFIX));
      assert.equal(mine.length, 1);
      assert.ok(String(mine[0]!.name).endsWith(k.kid));
      const dump = Buffer.concat(rows.flatMap((r) => [r.ciphertext as Buffer, r.wrapped_key as Buffer]));
      for (const needle of [Buffer.from(pem), der.subarray(16), Buffer.from(d, 'base64url'), Buffer.from(d)])
        assert.equal(dump.indexOf(needle), -1);

      // Rotation on A; B reloads on the unknown kid; the old key is removed once its tokens expired.
      now += 25 * H;
      const k2 = await ringA.current();
      assert.notEqual(k2.kid, k.kid);
      assert.ok(await ringB.publicKey(k2.kid));
      now += 2 * H;
      await ringB.current();
      assert.equal(await ringA.publicKey(k.kid), undefined);
      const left = (await a.vault.list()).filter((s) => s.name.startsWith(SIGNING_KEY_PREFIX));
      assert.deepEqual(
        left.map((s) => s.name.endsWith(k2.kid)),
        [true],
      );
    });
  });
}
