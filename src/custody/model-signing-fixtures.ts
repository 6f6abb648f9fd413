// Test fixtures for OpenSSF model-signing imports, generated here and never downloaded: EC keys
// (node:crypto), a throwaway PKI (root CA, intermediate, code-signing leaves, made with the openssl
// CLI) and a signer that writes model.sig exactly as model_signing v1.0 does (in-toto statement,
// DSSE over PAE, Sigstore bundle v0.3 with a public-key hint or an X.509 chain).
import { execFileSync } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { canonicalJson } from '../evidence/canonical-json.ts';
import { pae } from './dsse.ts';
import {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  MODEL_SIGNATURE_NAME,
  MODEL_SIGNING_PREDICATE,
} from './model-signing.ts';

export interface EcKey {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
}

export function ecKey(curve: 'P-256' | 'P-384' = 'P-256'): EcKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

function filesBelow(root: string, skip: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      const rel = relative(root, full).split(sep).join('/');
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      if (e.isDirectory()) visit(full);
      else out.push(rel);
    }
  };
  visit(root);
  return out.sort();
}

/** The model_signing v1.0 in-toto statement for every file below `root` (minus ignored paths). */
export function modelStatement(
  root: string,
  name: string,
  ignorePaths: readonly string[] = [MODEL_SIGNATURE_NAME],
) {
  const resources = filesBelow(root, ignorePaths).map((rel) => ({
    name: rel,
    algorithm: 'sha256',
    digest: createHash('sha256')
      .update(readFileSync(join(root, ...rel.split('/'))))
      .digest('hex'),
  }));
  const rootDigest = createHash('sha256');
  for (const r of resources) rootDigest.update(Buffer.from(r.digest, 'hex'));
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name, digest: { sha256: rootDigest.digest('hex') } }],
    predicateType: MODEL_SIGNING_PREDICATE,
    predicate: {
      serialization: {
        method: 'files',
        hash_type: 'sha256',
        allow_symlinks: false,
        ignore_paths: [...ignorePaths],
      },
      resources,
    },
  };
}

/** A Sigstore bundle over `statement`, signed by `key`; `chain` (PEM, leaf first) or a key hint. */
export function signStatement(statement: unknown, key: KeyObject, chain?: readonly string[]): Buffer {
  const payload = Buffer.from(JSON.stringify(statement, null, 2));
  const hash =
    key.asymmetricKeyType === 'ed25519'
      ? null
      : key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
        ? 'sha384'
        : 'sha256';
  const sig = sign(hash, pae(IN_TOTO_PAYLOAD_TYPE, payload), key);
  const publicPem = chain ? '' : createPublicKeyPem(key);
  const verificationMaterial = chain
    ? {
        x509CertificateChain: {
          certificates: chain.map((pem) => ({ rawBytes: new X509Certificate(pem).raw.toString('base64') })),
        },
      }
    : { publicKey: { hint: createHash('sha256').update(publicPem).digest('hex') }, tlogEntries: [] };
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial,
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: [{ sig: sig.toString('base64'), keyid: '' }],
      },
    }),
  );
}

function createPublicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
}

/** Signs the model folder `root` and writes root/model.sig; returns the bundle bytes. */
export function signModelFolder(
  root: string,
  opts: { name: string; key: KeyObject; chain?: readonly string[] },
): Buffer {
  const bundle = signStatement(modelStatement(root, opts.name), opts.key, opts.chain);
  writeFileSync(join(root, MODEL_SIGNATURE_NAME), bundle);
  return bundle;
}

export interface PkiCert {
  readonly cert: string;
  readonly key: KeyObject;
  readonly certPath: string;
  readonly keyPath: string;
}

/** A throwaway P-256 PKI made with the openssl CLI (real certificates, real extensions). */
export function modelSigningPki() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-msig-pki-'));
  let serial = 1000;
  const ossl = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const read = (name: string): PkiCert => {
    const certPath = join(dir, `${name}.pem`);
    const keyPath = join(dir, `${name}.key`);
    return {
      cert: readFileSync(certPath, 'utf8'),
      key: createPrivateKey(readFileSync(keyPath)),
      certPath,
      keyPath,
    };
  };
  function ca(name: string, days = 30): PkiCert {
    ossl([
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return read(name);
  }
  function issue(name: string, issuer: PkiCert, ext: readonly string[], days: number): PkiCert {
    writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
    ossl(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    ossl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      issuer.certPath,
      '-CAkey',
      issuer.keyPath,
      '-set_serial',
      String(++serial),
      '-days',
      String(days),
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    ]);
    return read(name);
  }
  return {
    dir,
    ca,
    issueRaw: (name: string, issuer: PkiCert, ext: readonly string[], days = 1) =>
      issue(name, issuer, ext, days),
    intermediate: (name: string, issuer: PkiCert, days = 20) =>
      issue(
        name,
        issuer,
        ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign'],
        days,
      ),
    /** A code-signing leaf (or, with `eku`, another extended key usage). */
    signer: (name: string, issuer: PkiCert, opts: { days?: number; eku?: string } = {}) =>
      issue(
        name,
        issuer,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          `extendedKeyUsage=${opts.eku ?? 'codeSigning'}`,
        ],
        opts.days ?? 2,
      ),
  };
}

/** A model folder with a few files (a nested one too), ready to sign. */
export function modelFolder(
  files: Record<string, string | Buffer> = {
    'config.json': '{"architectures":["LlamaForCausalLM"]}',
    'model.safetensors': Buffer.alloc(4096, 7),
    'tokenizer/tokenizer.json': '{"version":"1.0"}',
  },
): string {
  const root = mkdtempSync(join(tmpdir(), 'airlock-msig-model-'));
  for (const [rel, body] of Object.entries(files)) {
    const parts = rel.split('/');
    mkdirSync(join(root, ...parts.slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...parts), body);
  }
  return root;
}

/**
 * A private Sigstore instance for tests: a Fulcio CA (openssl), a Rekor log key, the pinned
 * trusted_root.json, and a keyless signer that writes what sigstore-python would: a v0.3 bundle
 * with the Fulcio certificate and a dsse 0.0.1 Rekor entry carrying a signed entry timestamp and an
 * RFC 6962 inclusion proof (the entry is leaf 1 of 2) against a checkpoint signed by the log key.
 */
export function privateSigstore(pki: ReturnType<typeof modelSigningPki>, dir: string) {
  const fulcio = pki.ca('fulcio-root');
  const rekor = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rekorDer = rekor.publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(rekorDer).digest();
  const origin = 'rekor.corp.internal';
  const start = new Date(Date.now() - 86_400_000).toISOString();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: `https://${origin}`,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: rekorDer.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: logId.toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'corp', commonName: 'fulcio-root' },
        uri: 'https://fulcio.corp.internal',
        certChain: { certificates: [{ rawBytes: new X509Certificate(fulcio.cert).raw.toString('base64') }] },
        validFor: { start },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const trustedRootPath = join(dir, 'trusted_root.json');
  writeFileSync(trustedRootPath, JSON.stringify(trustedRoot, null, 2));
  const leafHash = (b: Buffer) =>
    createHash('sha256')
      .update(Buffer.from([0]))
      .update(b)
      .digest();
  return {
    fulcio,
    trustedRootPath,
    /** A Fulcio-style certificate: code signing, an email SAN and the OIDC issuer extension. */
    certificate: (email: string, issuer: string, opts: { ca?: PkiCert; eku?: string } = {}) =>
      pki.issueRaw(
        `fulcio-${email.replace(/\W/g, '-')}-${Math.random().toString(36).slice(2, 8)}`,
        opts.ca ?? fulcio,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          `extendedKeyUsage=${opts.eku ?? 'codeSigning'}`,
          `subjectAltName=email:${email}`,
          `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${issuer}`,
        ],
      ),
    /** A keyless bundle over `statement`; `logKey` (default: the pinned Rekor key) signs the log's
     *  promises, `integratedTime` (seconds) is when the log says it saw the entry. */
    sign(
      statement: unknown,
      signer: PkiCert,
      opts: { logKey?: KeyObject; integratedTime?: number; tamperBody?: boolean } = {},
    ): Buffer {
      const logKey = opts.logKey ?? rekor.privateKey;
      const payload = Buffer.from(JSON.stringify(statement));
      const sig = sign('sha256', pae(IN_TOTO_PAYLOAD_TYPE, payload), signer.key);
      const envelope = {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: [{ sig: sig.toString('base64'), keyid: '' }],
      };
      const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
      const body = Buffer.from(
        canonicalJson({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            envelopeHash: { algorithm: 'sha256', value: sha(JSON.stringify(envelope)) },
            payloadHash: {
              algorithm: 'sha256',
              value: sha(opts.tamperBody ? Buffer.from('other') : payload),
            },
            signatures: [
              { signature: sig.toString('base64'), verifier: Buffer.from(signer.cert).toString('base64') },
            ],
          },
        })!,
      );
      const integratedTime = opts.integratedTime ?? Math.floor(Date.now() / 1000);
      const set = sign(
        'sha256',
        Buffer.from(
          canonicalJson({
            body: body.toString('base64'),
            integratedTime,
            logID: logId.toString('hex'),
            logIndex: 1,
          })!,
        ),
        logKey,
      );
      const other = leafHash(Buffer.from('an earlier entry'));
      const root = createHash('sha256')
        .update(Buffer.from([1]))
        .update(other)
        .update(leafHash(body))
        .digest();
      const note = `${origin} - 4242\n2\n${root.toString('base64')}\n`;
      const noteSig = Buffer.concat([logId.subarray(0, 4), sign('sha256', Buffer.from(note), logKey)]);
      return Buffer.from(
        JSON.stringify({
          mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          verificationMaterial: {
            certificate: { rawBytes: new X509Certificate(signer.cert).raw.toString('base64') },
            tlogEntries: [
              {
                logIndex: '1',
                logId: { keyId: logId.toString('base64') },
                kindVersion: { kind: 'dsse', version: '0.0.1' },
                integratedTime: String(integratedTime),
                inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
                inclusionProof: {
                  logIndex: '1',
                  rootHash: root.toString('base64'),
                  treeSize: '2',
                  hashes: [other.toString('base64')],
                  checkpoint: { envelope: `${note}\n\u2014 ${origin} ${noteSig.toString('base64')}\n` },
                },
                canonicalizedBody: body.toString('base64'),
              },
            ],
          },
          dsseEnvelope: envelope,
        }),
      );
    },
  };
}
