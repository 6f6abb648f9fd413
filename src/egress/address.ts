// Pure address helpers shared by the egress policy, the guard and the doctor.
// Imports only node: builtins: the guard is installed before any other module loads.
import { isIP } from 'node:net';

export type IpFamily = 4 | 6;

/** Where an address lives, for the doctor: anything not internal is a public egress risk. */
export type AddressScope = 'loopback' | 'private' | 'ula' | 'link-local' | 'unspecified' | 'public';

/**
 * Canonical form of an IP literal, or undefined for a name. IPv4-mapped IPv6 (::ffff:127.0.0.77,
 * ::ffff:7f00:4d) becomes plain IPv4 so a mapped address cannot slip past an IPv4 rule (or vice versa).
 * A zone id (fe80::1%eth0) is dropped: the zone does not change which host is reached.
 */
export function canonicalIp(host: string): { address: string; family: IpFamily } | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 4) return { address: bare, family: 4 };
  if (family !== 6) return undefined;
  const noZone = bare.split('%')[0]!.toLowerCase();
  const words = ipv6Words(noZone);
  if (!words) return { address: noZone, family: 6 };
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (mapped) {
    const hi = words[6]!;
    const lo = words[7]!;
    return { address: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`, family: 4 };
  }
  return { address: words.map((w) => w.toString(16)).join(':'), family: 6 };
}

/** The eight 16-bit words of an IPv6 literal (already validated by isIP), or undefined. */
export function ipv6Words(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    text = text.slice(0, -dotted[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (halves.length === 1 && fill !== 0) return undefined;
  if (fill < 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest, ...tail];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)
    ? words
    : undefined;
}

/** Classifies a canonical IP literal (see canonicalIp). */
export function addressScope(address: string, family: IpFamily): AddressScope {
  if (family === 4) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    if (a === 127) return 'loopback';
    if (a === 0) return 'unspecified';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if (a === 169 && b === 254) return 'link-local';
    return 'public';
  }
  const words = ipv6Words(address);
  if (!words) return 'public';
  if (words.every((w) => w === 0)) return 'unspecified';
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return 'loopback';
  const first = words[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'ula';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  return 'public';
}

/** True for a scope that stays inside the site boundary. */
export function isInternalScope(scope: AddressScope): boolean {
  return scope !== 'public';
}

/** The same port rule as Node's validatePort, so the guard and Node agree on what a port is. */
export function parsePort(value: unknown): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  if (typeof value === 'string' && value.trim().length === 0) return undefined;
  const n = +value;
  return n === n >>> 0 && n <= 0xffff ? n : undefined;
}

/** Lower-cases a host name and drops one trailing dot, so `Example.internal.` matches `example.internal`. */
export function normaliseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
