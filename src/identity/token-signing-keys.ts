// airlock's own Ed25519 keys for task tokens. Each key is a 0600 PKCS#8 file in
// <dataDir>/secrets/token-signing/ named <createdAtMs>-<kid>.pem (kid = RFC 7638 thumbprint).
// The newest key signs; when it is older than the rotation interval a new one is made on the next
// signature. A replaced key keeps verifying until every token it signed has expired
// (successor's birth + retain), then its file is deleted. The JWKS carries public keys only.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockError } from '../errors.ts';
import { readSecretFile } from '../secrets/secret-files.ts';

export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export interface SigningKeyring {
  /** The signing key (rotated first when due). */
  current(): { readonly kid: string; readonly privateKey: KeyObject };
  /** A verification key by kid; rescans the folder (at most once a second) for keys another process made. */
  publicKey(kid: string): KeyObject | undefined;
  /** Public keys of the current and still-verifying previous keys. */
  jwks(): { keys: PublicJwk[] };
}

export interface SigningKeyringConfig {
  readonly dir: string;
  readonly rotationMs: number;
  /** How long a replaced key still verifies: the longest token lifetime plus clock skew. */
  readonly retainMs: number;
  readonly now?: () => number;
}

interface Entry {
  readonly kid: string;
  readonly createdAt: number;
  readonly file: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
}

const FILE = /^(\d{13})-([A-Za-z0-9_-]{43})\.pem$/;
const RESCAN_MS = 1000;

export function tokenSigningDir(dataDir: string): string {
  return join(dataDir, 'secrets', 'token-signing');
}

/** RFC 7638 JWK thumbprint of an Ed25519 public key. */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

function entryOf(file: string, createdAt: number, privateKey: KeyObject): Entry {
  const publicKey = createPublicKey(privateKey);
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const kid = ed25519Thumbprint(x);
  return {
    kid,
    createdAt,
    file,
    privateKey,
    publicKey,
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
  };
}

export function createSigningKeyring(config: SigningKeyringConfig): SigningKeyring {
  const now = config.now ?? Date.now;
  mkdirSync(config.dir, { recursive: true, mode: 0o700 });
  let entries: Entry[] = []; // newest first
  let scannedAt = Number.NEGATIVE_INFINITY;

  function scan(): void {
    const found: Entry[] = [];
    for (const name of readdirSync(config.dir)) {
      const m = FILE.exec(name);
      if (!m) continue;
      const known = entries.find((e) => e.file === name);
      if (known) {
        found.push(known);
        continue;
      }
      const file = join(config.dir, name);
      const privateKey = createPrivateKey(readSecretFile(file)); // refuses files others can read
      if (privateKey.asymmetricKeyType !== 'ed25519')
        throw new AirlockError('config_invalid', { detail: `${file} is not an Ed25519 key` });
      const e = entryOf(name, Number(m[1]), privateKey);
      if (e.kid !== m[2])
        throw new AirlockError('config_invalid', { detail: `${file}: name does not match key` });
      found.push(e);
    }
    entries = found.sort((a, b) => b.createdAt - a.createdAt);
    scannedAt = now();
  }

  function create(t: number): void {
    const { privateKey } = generateKeyPairSync('ed25519');
    const probe = entryOf('', t, privateKey);
    const name = `${String(t).padStart(13, '0')}-${probe.kid}.pem`;
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    writeFileSync(join(config.dir, name), pem, { mode: 0o600, flag: 'wx' });
    entries = [{ ...probe, file: name }, ...entries];
  }

  /** Drops keys whose successor was made longer ago than `retainMs`: nothing they signed is still valid. */
  function retire(t: number): void {
    const keep: Entry[] = [];
    for (let i = 0; i < entries.length; i++) {
      const successor = i === 0 ? undefined : entries[i - 1]!;
      if (successor && successor.createdAt + config.retainMs < t) {
        rmSync(join(config.dir, entries[i]!.file), { force: true });
        continue;
      }
      keep.push(entries[i]!);
    }
    entries = keep;
  }

  scan();

  function current() {
    const t = now();
    const newest = entries[0];
    if (!newest || t - newest.createdAt >= config.rotationMs) {
      scan(); // another process may have rotated already
      const again = entries[0];
      if (!again || t - again.createdAt >= config.rotationMs) create(t);
    }
    retire(t);
    const e = entries[0]!;
    return { kid: e.kid, privateKey: e.privateKey };
  }

  function publicKey(kid: string): KeyObject | undefined {
    let e = entries.find((k) => k.kid === kid);
    if (!e && now() - scannedAt >= RESCAN_MS) {
      scan();
      e = entries.find((k) => k.kid === kid);
    }
    if (!e) return undefined;
    // A retired key never verifies, even if its file is still on disk.
    const i = entries.indexOf(e);
    const successor = i > 0 ? entries[i - 1] : undefined;
    if (successor && successor.createdAt + config.retainMs < now()) return undefined;
    return e.publicKey;
  }

  function jwks() {
    const t = now();
    retire(t);
    return { keys: entries.map((e) => e.jwk) };
  }

  return { current, publicKey, jwks };
}
