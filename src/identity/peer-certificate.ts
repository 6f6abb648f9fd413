// The client certificate a TLS listener verified, in a form authenticators can use without the
// socket: Node's verdict (`authorized`, from requestCert + ca) and the DER chain, leaf first.
// Surfaces fill it from `request.raw.socket` once per request (see peerTlsOf).
import { TLSSocket } from 'node:tls';
import type { AuthRequest } from './types.ts';

export interface PeerTls {
  /** Node's chain and validity verdict against the listener's `ca` (false with rejectUnauthorized off). */
  readonly authorized: boolean;
  /** DER certificates, leaf first, as far as the handshake exposed the chain. */
  readonly chain: readonly Buffer[];
}

/** AuthRequest plus the peer certificate (proposed as a field of AuthRequest itself). */
export type TlsAuthRequest = AuthRequest & { readonly peer?: PeerTls };

const MAX_CHAIN = 8;

/** Reads the peer certificate chain from a socket; undefined for plain TCP or no client certificate. */
export function peerTlsOf(socket: unknown): PeerTls | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const leaf = socket.getPeerCertificate(true);
  if (!leaf?.raw) return undefined;
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let c: typeof leaf | undefined = leaf;
  while (c?.raw && !seen.has(c.fingerprint256) && chain.length < MAX_CHAIN) {
    chain.push(c.raw);
    seen.add(c.fingerprint256);
    c = c.issuerCertificate as typeof leaf | undefined;
  }
  return { authorized: socket.authorized, chain };
}
