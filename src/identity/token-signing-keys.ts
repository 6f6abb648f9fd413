// airlock's own Ed25519 keys for task tokens, kept in a SigningKeyStore shared by every replica
// (token-signing-key-stores.ts: vault secrets in the store's database, or 0600 files in dataDir for a
// gateway built without the store plane). The newest key signs; when it is older than the rotation
// interval a new one is made on the next signature. A replaced key keeps verifying until every token it
// signed has expired (successor's birth + retain), then it is removed. The JWKS carries public keys only.
// A kid this process does not know triggers a reload (at most once a second), so a key another replica
// made verifies here on first sight.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export interface StoredSigningKey {
  readonly kid: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly privateKey: KeyObject;
}

/** Where signing keys live. Implementations MUST keep private keys encrypted or 0600 at rest. */
export interface SigningKeyStore {
  load(): Promise<StoredSigningKey[]>;
  /** MUST be durable before it resolves. */
  add(key: StoredSigningKey): Promise<void>;
  /** Idempotent: removing a key another replica already removed is not an error. */
  remove(key: Pick<StoredSigningKey, 'kid' | 'createdAt'>): Promise<void>;
}

export interface SigningKeyring {
  /** The signing key (rotated first when due). */
  current(): Promise<{ readonly kid: string; readonly privateKey: KeyObject }>;
  /** A verification key by kid; reloads (at most once a second) for keys another replica made. */
  publicKey(kid: string): Promise<KeyObject | undefined>;
  /** Public keys of the current and still-verifying previous keys. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
}

export interface SigningKeyringConfig {
  readonly rotationMs: number;
  /** How long a replaced key still verifies: the longest token lifetime plus clock skew. */
  readonly retainMs: number;
  readonly now?: () => number;
}

interface Entry {
  readonly kid: string;
  readonly createdAt: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
}

const RELOAD_MS = 1000;

/** RFC 7638 JWK thumbprint of an Ed25519 public key. */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** kid of an Ed25519 private key (RFC 7638 thumbprint of its public half). */
export function kidOf(privateKey: KeyObject): string {
  return ed25519Thumbprint((createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string }).x);
}

function entryOf(k: StoredSigningKey): Entry {
  const publicKey = createPublicKey(k.privateKey);
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  return {
    kid: k.kid,
    createdAt: k.createdAt,
    privateKey: k.privateKey,
    publicKey,
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid: k.kid, alg: 'EdDSA', use: 'sig' },
  };
}

export function createSigningKeyring(
  config: SigningKeyringConfig,
  deps: { readonly keys: SigningKeyStore },
): SigningKeyring {
  const now = config.now ?? Date.now;
  let entries: Entry[] = []; // newest first
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | undefined;

  /** Single flight: concurrent callers share one read of the store. */
  function reload(): Promise<void> {
    loading ??= (async () => {
      try {
        const found = await deps.keys.load();
        const known = new Map(entries.map((e) => [e.kid, e]));
        entries = found
          .filter((k) => k.privateKey.asymmetricKeyType === 'ed25519' && kidOf(k.privateKey) === k.kid)
          .map((k) => known.get(k.kid) ?? entryOf(k))
          .sort((a, b) => b.createdAt - a.createdAt);
        loadedAt = now();
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  const retiredAt = (i: number) =>
    i === 0 ? Number.POSITIVE_INFINITY : entries[i - 1]!.createdAt + config.retainMs;

  /** Removes keys whose successor was made longer ago than `retainMs`: nothing they signed is still valid. */
  async function retire(t: number): Promise<void> {
    const gone = entries.filter((_, i) => retiredAt(i) < t);
    if (gone.length === 0) return;
    entries = entries.filter((e) => !gone.includes(e));
    for (const e of gone) await deps.keys.remove(e);
  }

  const due = (t: number) => !entries[0] || t - entries[0].createdAt >= config.rotationMs;
  let rotating: Promise<void> | undefined;

  /** Single flight: concurrent exchanges that find the key due make one new key, not one each. */
  function rotate(t: number): Promise<void> {
    rotating ??= (async () => {
      try {
        await reload(); // another replica may have rotated already
        if (!due(t)) return;
        const { privateKey } = generateKeyPairSync('ed25519');
        const made = { kid: kidOf(privateKey), createdAt: t, privateKey };
        await deps.keys.add(made);
        entries = [entryOf(made), ...entries];
      } finally {
        rotating = undefined;
      }
    })();
    return rotating;
  }

  async function current() {
    const t = now();
    if (loadedAt === Number.NEGATIVE_INFINITY) await reload();
    if (due(t)) await rotate(t);
    await retire(t);
    const e = entries[0]!;
    return { kid: e.kid, privateKey: e.privateKey };
  }

  async function publicKey(kid: string): Promise<KeyObject | undefined> {
    let i = entries.findIndex((k) => k.kid === kid);
    if (i < 0 && now() - loadedAt >= RELOAD_MS) {
      await reload();
      i = entries.findIndex((k) => k.kid === kid);
    }
    // A retired key never verifies, even while it is still stored.
    if (i < 0 || retiredAt(i) < now()) return undefined;
    return entries[i]!.publicKey;
  }

  async function jwks() {
    const t = now();
    if (t - loadedAt >= RELOAD_MS) await reload();
    return { keys: entries.filter((_, i) => retiredAt(i) >= t).map((e) => e.jwk) };
  }

  return { current, publicKey, jwks };
}
