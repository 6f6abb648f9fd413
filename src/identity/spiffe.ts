// SPIFFE IDs (spiffe.io SPIFFE-ID spec §2) and their place in an X509-SVID (X509-SVID spec §2):
// exactly one URI SAN, which is the SPIFFE ID. Pure functions, no I/O.
import type { X509Certificate } from 'node:crypto';

export interface SpiffeId {
  readonly id: string;
  readonly trustDomain: string;
  readonly path: string;
}

const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Parses a SPIFFE ID; undefined when it breaks the spec (case, ports, dot segments, query …). */
export function parseSpiffeId(value: string): SpiffeId | undefined {
  if (value.length > 2048 || !value.startsWith('spiffe://')) return undefined;
  const rest = value.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (!TRUST_DOMAIN.test(trustDomain)) return undefined;
  if (path !== '') {
    const segments = path.slice(1).split('/');
    for (const s of segments) if (!SEGMENT.test(s) || s === '.' || s === '..') return undefined;
  }
  return { id: value, trustDomain, path };
}

/**
 * Splits Node's `subjectAltName` string ("DNS:a, URI:spiffe://…"). Node JSON-quotes values that
 * contain separators or quotes (CVE-2021-44532), so a crafted SAN cannot inject a second entry.
 */
export function subjectAltNames(cert: X509Certificate): { type: string; value: string }[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  const out: { type: string; value: string }[] = [];
  const re = /(?:^|, )([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)/gy;
  let m: RegExpExecArray | null = re.exec(san);
  while (m !== null) {
    let value = m[2]!;
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        return [];
      }
    }
    out.push({ type: m[1]!, value });
    if (re.lastIndex >= san.length) return out;
    m = re.exec(san);
  }
  return re.lastIndex === 0 ? [] : out;
}

/** The certificate's SPIFFE ID, or undefined unless there is exactly one URI SAN and it is valid. */
export function spiffeIdOf(cert: X509Certificate): SpiffeId | undefined {
  const uris = subjectAltNames(cert).filter((e) => e.type === 'URI');
  if (uris.length !== 1) return undefined;
  const id = parseSpiffeId(uris[0]!.value);
  return id && id.path !== '' ? id : undefined;
}
