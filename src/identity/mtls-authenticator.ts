// mTLS client certificates carrying SPIFFE IDs (X509-SVIDs) → workload principals (P2).
// Node verifies the chain and validity during the handshake when the listener sets requestCert and
// ca (and refuses the handshake with rejectUnauthorized). This authenticator does not rely on that
// alone: it refuses sockets Node did not authorise, then re-checks validity and the chain against
// its own SPIFFE trust bundle, because a listener's clientCa may trust more than this bundle.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AirlockError } from '../errors.ts';
import type { MtlsConfig, WorkloadConfig } from './config.ts';
import type { OnReject } from './jwt-common.ts';
import type { TlsAuthRequest } from './peer-certificate.ts';
import { type IdentityPrincipal, pipelineScopes } from './principal.ts';
import { spiffeIdOf } from './spiffe.ts';
import type { Authenticator, AuthResult } from './types.ts';

export interface MtlsAuthenticatorDeps {
  /** PEM text of the trust bundle; defaults to reading config.trustBundle. */
  readonly trustBundlePem?: string;
  readonly now?: () => number;
  readonly onReject?: OnReject;
  /**
   * True when the listener's clientCa is exactly this trust bundle, so Node's `authorized` already
   * means "chains to the bundle". Needed for SVIDs issued by intermediates: Node does not expose the
   * client's intermediates on the server side (getPeerCertificate(true) returns the leaf alone; see
   * nodejs/node#65579), so the re-check below can only follow a chain it can see.
   */
  readonly listenerCaIsBundle?: boolean;
}

export interface MtlsAuthenticator extends Authenticator {
  authenticate(req: TlsAuthRequest): Promise<AuthResult>;
}

const MAX_DEPTH = 6;
/** Verified chains remembered; the map is emptied when full (a flood of distinct certificates only
 *  costs the full check each, as it would without the cache). */
const MAX_VERIFIED = 1024;

export function parsePemBundle(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const certs = blocks.map((b) => new X509Certificate(b));
  if (certs.length === 0)
    throw new AirlockError('config_invalid', {
      detail: `${source}: no PEM certificates in the trust bundle`,
    });
  for (const c of certs)
    if (!c.ca)
      throw new AirlockError('config_invalid', { detail: `${source}: ${c.subject} is not a CA certificate` });
  return certs;
}

function within(cert: X509Certificate, t: number): boolean {
  return cert.validFromDate.getTime() <= t && t <= cert.validToDate.getTime();
}

function issues(issuer: X509Certificate, cert: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** Leaf → intermediates (from the peer's chain) → an anchor of the bundle; every link in validity. */
export function chainsToBundle(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  t: number,
): boolean {
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchors.some((a) => within(a, t) && issues(a, current))) return true;
    const next = intermediates.find((i) => i !== current && i.ca && within(i, t) && issues(i, current));
    if (!next) return false;
    current = next;
  }
  return false;
}

interface Workload {
  readonly match: string;
  readonly config: WorkloadConfig;
}

export function createMtlsAuthenticator(
  config: MtlsConfig,
  deps: MtlsAuthenticatorDeps = {},
): MtlsAuthenticator {
  const now = deps.now ?? Date.now;
  const anchors = parsePemBundle(
    deps.trustBundlePem ?? readFileSync(config.trustBundle, 'utf8'),
    config.trustBundle,
  );
  const exact = new Map<string, Workload>();
  const prefixes: Workload[] = [];
  for (const w of config.workloads) {
    const match = (w.id ?? w.prefix)!;
    if (!match.startsWith(`spiffe://${config.trustDomain}/`))
      throw new AirlockError('config_invalid', {
        detail: `identity.mtls: ${match} is outside trust domain ${config.trustDomain}`,
      });
    if (w.id) {
      if (exact.has(w.id))
        throw new AirlockError('config_invalid', { detail: `identity.mtls: ${w.id} twice` });
      exact.set(w.id, { match, config: w });
    } else prefixes.push({ match, config: w });
  }
  prefixes.sort((a, b) => b.match.length - a.match.length);

  const reject = (reason: string, prefix?: string): AuthResult => {
    deps.onReject?.({ authenticator: 'mtls', reason, ...(prefix ? { credentialPrefix: prefix } : {}) });
    return prefix
      ? { kind: 'reject', code: 'invalid_client_certificate', credentialPrefix: prefix }
      : { kind: 'reject', code: 'invalid_client_certificate' };
  };

  // A chain's verdict depends only on its DER bytes, the bundle and the workloads (both fixed at
  // start-up) and the time: a verified chain is remembered with the window in which every
  // certificate involved is valid, so a keep-alive client or a repeat connection skips the parse and
  // the signature checks. Node's per-handshake verdict (`authorized`) is still checked every time.
  const verified = new Map<string, { notBefore: number; notAfter: number; principal: IdentityPrincipal }>();

  async function authenticate(req: TlsAuthRequest): Promise<AuthResult> {
    const peer = req.peer;
    if (!peer || peer.chain.length === 0) return { kind: 'abstain' };
    const cacheKey = `${req.surface}:${peer.chain.map((d) => d.toString('base64')).join('.')}`;
    const hit = peer.authorized ? verified.get(cacheKey) : undefined;
    if (hit) {
      const t = now();
      if (t >= hit.notBefore && t <= hit.notAfter) return { kind: 'authenticated', principal: hit.principal };
      verified.delete(cacheKey);
    }
    let leaf: X509Certificate;
    let intermediates: X509Certificate[];
    try {
      leaf = new X509Certificate(peer.chain[0]!);
      intermediates = peer.chain.slice(1).map((d) => new X509Certificate(d));
    } catch {
      return reject('malformed');
    }
    const prefix = `x509:${leaf.fingerprint256.replaceAll(':', '').slice(0, 16).toLowerCase()}`;
    if (!peer.authorized) return reject('unauthorized_socket', prefix);
    const t = now();
    if (!within(leaf, t))
      return reject(t < leaf.validFromDate.getTime() ? 'not_yet_valid' : 'expired', prefix);
    if (leaf.ca) return reject('ca_certificate', prefix);
    const chained =
      chainsToBundle(leaf, intermediates, anchors, t) ||
      (deps.listenerCaIsBundle === true && intermediates.length === 0);
    if (!chained) return reject('untrusted_chain', prefix);
    const spiffe = spiffeIdOf(leaf);
    if (!spiffe) return reject('not_spiffe', prefix);
    if (spiffe.trustDomain !== config.trustDomain) return reject('wrong_trust_domain', prefix);
    const workload = exact.get(spiffe.id) ?? prefixes.find((p) => spiffe.id.startsWith(p.match));
    if (!workload) return reject('unknown_workload', prefix);
    const w = workload.config;
    const principal: IdentityPrincipal = {
      kind: req.surface === 'admin' && w.admin ? 'admin' : 'client',
      id: w.owner ?? spiffe.id,
      credentialId: `x509_${leaf.fingerprint256.replaceAll(':', '').toLowerCase()}`,
      credentialPrefix: prefix,
      expiresAt: leaf.validToDate,
      scopes: pipelineScopes(w.scopes),
      identity: {
        subjectKind: w.kind,
        credentialKind: 'mtls',
        issuer: `spiffe://${config.trustDomain}`,
        roles: w.roles,
        ...(w.tenant !== undefined ? { tenant: w.tenant } : {}),
        scope: w.scopes,
        spiffeId: spiffe.id,
      },
    };
    const involved = [leaf, ...intermediates, ...anchors];
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(cacheKey, {
      notBefore: Math.max(...involved.map((c) => c.validFromDate.getTime())),
      notAfter: Math.min(...involved.map((c) => c.validToDate.getTime())),
      principal,
    });
    return { kind: 'authenticated', principal };
  }

  return { id: 'mtls', authenticate };
}
