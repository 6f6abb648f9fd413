// Where task-token signing keys live.
// - Vault (the default under `airlock serve`): each key is the vault secret
//   `airlock.token-signing.<createdAtMs>-<kid>` (PKCS#8 PEM), so its private half is stored only as
//   AES-256-GCM ciphertext under a data key wrapped by the master key, re-wrapped by master-key rotation,
//   and shared by every replica on the store's database. The `airlock.` prefix keeps it out of
//   `secret:NAME` resolution.
// - Files: 0600 PKCS#8 files in <dataDir>/secrets/token-signing/ — for a gateway built without the store
//   plane (tests, embedding); visible to processes on this node only.
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockError } from '../errors.ts';
import { readSecretFile } from '../secrets/secret-files.ts';
import type { Vault } from '../secrets/vault.ts';
import { INTERNAL_PREFIX } from '../secrets/vault-resolver.ts';
import type { SigningKeyStore, StoredSigningKey } from './token-signing-keys.ts';

const NAME = /^(\d{13})-([A-Za-z0-9_-]{43})$/;
export const SIGNING_KEY_PREFIX = `${INTERNAL_PREFIX}token-signing.`;

const nameOf = (k: Pick<StoredSigningKey, 'kid' | 'createdAt'>) =>
  `${String(k.createdAt).padStart(13, '0')}-${k.kid}`;
const pemOf = (k: StoredSigningKey) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

export function vaultSigningKeyStore(vault: Vault): SigningKeyStore {
  return {
    async load() {
      const found = await vault.loadCurrent((name) => name.startsWith(SIGNING_KEY_PREFIX));
      const keys: StoredSigningKey[] = [];
      for (const [name, pem] of found) {
        const m = NAME.exec(name.slice(SIGNING_KEY_PREFIX.length));
        if (!m) continue;
        keys.push({ kid: m[2]!, createdAt: Number(m[1]), privateKey: createPrivateKey(pem) });
        pem.fill(0);
      }
      return keys;
    },
    async add(key) {
      await vault.put(`${SIGNING_KEY_PREFIX}${nameOf(key)}`, pemOf(key));
    },
    async remove(key) {
      await vault.delete(`${SIGNING_KEY_PREFIX}${nameOf(key)}`).catch((err) => {
        if (!(err instanceof AirlockError && err.code === 'secret_not_found')) throw err;
      });
    },
  };
}

export function tokenSigningDir(dataDir: string): string {
  return join(dataDir, 'secrets', 'token-signing');
}

export function fileSigningKeyStore(dir: string): SigningKeyStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    async load() {
      const keys: StoredSigningKey[] = [];
      for (const file of readdirSync(dir)) {
        const m = /^(.+)\.pem$/.exec(file);
        const n = m ? NAME.exec(m[1]!) : null;
        if (!n) continue;
        // readSecretFile refuses a file others can read.
        keys.push({
          kid: n[2]!,
          createdAt: Number(n[1]),
          privateKey: createPrivateKey(readSecretFile(join(dir, file))),
        });
      }
      return keys;
    },
    async add(key) {
      writeFileSync(join(dir, `${nameOf(key)}.pem`), pemOf(key), { mode: 0o600, flag: 'wx' });
    },
    async remove(key) {
      rmSync(join(dir, `${nameOf(key)}.pem`), { force: true });
    },
  };
}
