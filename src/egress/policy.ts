// The egress allowlist (P1): an immutable set of (name | IP | CIDR, port | any) entries, compiled once.
// Imports only node: builtins and the dependency-free error catalogue, so the guard and the child
// preload can load it before anything that might open a socket.
import { BlockList, isIP } from 'node:net';
import type { AirlockConfig } from '../config/schema.ts';
import { AirlockError } from '../errors.ts';
import { canonicalIp, type IpFamily, normaliseName } from './address.ts';

export interface EgressEntry {
  /** Canonical text: `name[:port]`, `1.2.3.4[:port]`, `10.0.0.0/8[:port]`, `[fd00::/8][:port]`. */
  readonly text: string;
  readonly kind: 'name' | 'address';
  /** Lower-case name, or the canonical network address. */
  readonly host: string;
  /** IP family for addresses; null for names. */
  readonly family: IpFamily | null;
  /** Prefix length for addresses (32/128 for a single address); null for names. */
  readonly prefix: number | null;
  /** null means any port. */
  readonly port: number | null;
}

/** A malformed allowlist entry. `message` names the entry and what is wrong with it. */
export class EgressPolicyError extends Error {
  readonly entry: string;
  constructor(entry: string, reason: string) {
    super(`invalid egress entry ${JSON.stringify(entry)}: ${reason}`);
    this.name = 'EgressPolicyError';
    this.entry = entry;
  }
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
const LOOPBACK_V4 = '127.0.0.1';
const LOOPBACK_V6 = '0:0:0:0:0:0:0:1';

function parsePortText(entry: string, text: string | undefined): number | null {
  if (text === undefined || text === '*') return null;
  if (!/^\d{1,5}$/.test(text)) throw new EgressPolicyError(entry, `port "${text}" must be 1-65535 or *`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new EgressPolicyError(entry, `port ${port} is outside 1-65535`);
  return port;
}

function hostEntry(entry: string, host: string, port: number | null): EgressEntry {
  const portText = port === null ? '' : `:${port}`;
  const slash = host.indexOf('/');
  const addressText = slash >= 0 ? host.slice(0, slash) : host;
  const ip = canonicalIp(addressText);
  if (slash >= 0) {
    if (!ip) throw new EgressPolicyError(entry, `"${addressText}" is not an IP address (CIDR needs one)`);
    const max = ip.family === 4 ? 32 : 128;
    const prefixText = host.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)
      throw new EgressPolicyError(entry, `prefix "/${prefixText}" must be 0-${max}`);
    const prefix = Number(prefixText);
    const text =
      ip.family === 6 ? `[${ip.address}/${prefix}]${portText}` : `${ip.address}/${prefix}${portText}`;
    return { text, kind: 'address', host: ip.address, family: ip.family, prefix, port };
  }
  if (ip) {
    const text = ip.family === 6 ? `[${ip.address}]${portText}` : `${ip.address}${portText}`;
    return {
      text,
      kind: 'address',
      host: ip.address,
      family: ip.family,
      prefix: ip.family === 4 ? 32 : 128,
      port,
    };
  }
  if (host.includes('*')) throw new EgressPolicyError(entry, 'wildcards are not supported; list each host');
  if (/^[\d.]+$/.test(host))
    throw new EgressPolicyError(entry, 'write IPv4 addresses as four dotted decimals');
  const name = normaliseName(host);
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => LABEL.test(label)))
    throw new EgressPolicyError(entry, `"${host}" is not a valid host name, IP address or CIDR`);
  return { text: `${name}${portText}`, kind: 'name', host: name, family: null, prefix: null, port };
}

/**
 * Parses one allowlist entry strictly: `host[:port|*]`, `1.2.3.4[:port]`, `10.0.0.0/8[:port]`,
 * `[::1][:port]`, `[fd00::/8][:port]`, or a bare IPv6 address/CIDR (any port). No port means any port.
 */
export function parseEgressEntry(entry: string): EgressEntry {
  if (typeof entry !== 'string' || entry.length === 0)
    throw new EgressPolicyError(String(entry), 'empty entry');
  if (entry.length > 300 || /\s/.test(entry))
    throw new EgressPolicyError(entry, 'whitespace or over-long entry');
  if (entry.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
    if (!m) throw new EgressPolicyError(entry, 'expected [ipv6] or [ipv6]:port');
    if (isIP(m[1]!.split('/')[0]!.split('%')[0]!) !== 6)
      throw new EgressPolicyError(entry, 'brackets are only for IPv6');
    return hostEntry(entry, m[1]!, parsePortText(entry, m[2]));
  }
  const cidr = /^([^/]+\/[^:/]*)(?::([^:]*))?$/.exec(entry);
  if (cidr && !cidr[1]!.includes(':')) return hostEntry(entry, cidr[1]!, parsePortText(entry, cidr[2]));
  const colons = entry.split(':').length - 1;
  if (colons >= 2) {
    // A bare IPv6 address or CIDR: the port, if any, follows the prefix (`fd00::/8:443`) or needs brackets.
    const v6cidr = /^([^/]+)\/(\d{1,3})(?::([^:]*))?$/.exec(entry);
    if (v6cidr) return hostEntry(entry, `${v6cidr[1]}/${v6cidr[2]}`, parsePortText(entry, v6cidr[3]));
    if (canonicalIp(entry)?.family !== 6)
      throw new EgressPolicyError(entry, 'not an IPv6 address; use [ipv6]:port');
    return hostEntry(entry, entry, null);
  }
  if (colons === 1) {
    const at = entry.indexOf(':');
    return hostEntry(entry, entry.slice(0, at), parsePortText(entry, entry.slice(at + 1)));
  }
  return hostEntry(entry, entry, null);
}

function familyName(family: IpFamily): 'ipv4' | 'ipv6' {
  return family === 4 ? 'ipv4' : 'ipv6';
}

/** Immutable compiled allowlist. `allows` is a map lookup plus at most two BlockList checks. */
export class EgressPolicy {
  readonly entries: readonly EgressEntry[];
  /** Ports on which 127.0.0.1 and ::1 (exactly these, not all of 127/8) may be reached. */
  readonly loopbackPorts: readonly number[];
  readonly #names = new Map<string, Set<number> | 'any'>();
  readonly #anyPort = new BlockList();
  readonly #anyAddress = new BlockList();
  readonly #byPort = new Map<number, BlockList>();
  readonly #loopback: ReadonlySet<number>;

  constructor(entries: readonly EgressEntry[], loopbackPorts: readonly number[] = []) {
    for (const p of loopbackPorts)
      if (!Number.isInteger(p) || p < 1 || p > 65535)
        throw new EgressPolicyError(String(p), 'loopback port must be 1-65535');
    this.entries = Object.freeze([...entries]);
    this.loopbackPorts = Object.freeze([...new Set(loopbackPorts)].sort((a, b) => a - b));
    this.#loopback = new Set(this.loopbackPorts);
    for (const e of this.entries) {
      if (e.kind === 'name') {
        const ports = this.#names.get(e.host);
        if (e.port === null || ports === 'any') this.#names.set(e.host, 'any');
        else this.#names.set(e.host, new Set([...(ports ?? []), e.port]));
        continue;
      }
      const fam = familyName(e.family!);
      this.#anyAddress.addSubnet(e.host, e.prefix!, fam);
      let list = this.#anyPort;
      if (e.port !== null) {
        list = this.#byPort.get(e.port) ?? new BlockList();
        this.#byPort.set(e.port, list);
      }
      list.addSubnet(e.host, e.prefix!, fam);
    }
    Object.freeze(this);
  }

  /** May a connection to host:port (a name or an IP literal) be opened? */
  allows(host: string, port: number): boolean {
    const ip = canonicalIp(host);
    if (!ip) {
      const ports = this.#names.get(normaliseName(host));
      return ports === 'any' || (ports?.has(port) ?? false);
    }
    if (this.#loopback.has(port) && (ip.address === LOOPBACK_V4 || ip.address === LOOPBACK_V6)) return true;
    const fam = familyName(ip.family);
    if (this.#anyPort.check(ip.address, fam)) return true;
    return this.#byPort.get(port)?.check(ip.address, fam) ?? false;
  }

  /** Is the host allowed on some port? Used for DNS: a name may be looked up only if it may be reached. */
  allowsHost(host: string): boolean {
    const ip = canonicalIp(host);
    if (!ip) return this.#names.has(normaliseName(host));
    if (this.#loopback.size > 0 && (ip.address === LOOPBACK_V4 || ip.address === LOOPBACK_V6)) return true;
    return this.#anyAddress.check(ip.address, familyName(ip.family));
  }

  /** A new policy with extra loopback ports (embedded workers pick theirs at run time). */
  withLoopbackPorts(ports: readonly number[]): EgressPolicy {
    return new EgressPolicy(this.entries, [...this.loopbackPorts, ...ports]);
  }
}

export function denyAllEgressPolicy(): EgressPolicy {
  return new EgressPolicy([]);
}

/** Compiles entry strings; throws EgressPolicyError naming the first bad entry. */
export function compileEgressPolicy(
  allow: readonly string[],
  loopbackPorts: readonly number[] = [],
): EgressPolicy {
  return new EgressPolicy(allow.map(parseEgressEntry), loopbackPorts);
}

const SERIAL_VERSION = 1;

/** JSON for AIRLOCK_EGRESS_POLICY: the canonical entry texts, re-parsed by the same strict parser. */
export function serializeEgressPolicy(policy: EgressPolicy): string {
  return JSON.stringify({
    v: SERIAL_VERSION,
    allow: policy.entries.map((e) => e.text),
    loopbackPorts: policy.loopbackPorts,
  });
}

/** Inverse of serializeEgressPolicy; throws on anything unexpected (callers fail closed). */
export function deserializeEgressPolicy(json: string): EgressPolicy {
  const doc: unknown = JSON.parse(json);
  if (typeof doc !== 'object' || doc === null) throw new Error('egress policy JSON must be an object');
  const { v, allow, loopbackPorts } = doc as Record<string, unknown>;
  if (v !== SERIAL_VERSION) throw new Error(`unsupported egress policy version ${String(v)}`);
  if (!Array.isArray(allow) || !allow.every((e) => typeof e === 'string'))
    throw new Error('allow must be strings');
  if (!Array.isArray(loopbackPorts) || !loopbackPorts.every((p) => typeof p === 'number'))
    throw new Error('loopbackPorts must be numbers');
  return compileEgressPolicy(allow, loopbackPorts);
}

/** The address (host:port) a URL reaches, with the scheme's default port. */
export function urlTarget(
  url: URL,
  defaults: Readonly<Record<string, number>>,
): { host: string; port: number } | undefined {
  const port = url.port === '' ? defaults[url.protocol] : Number(url.port);
  if (port === undefined) return undefined;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port };
}

const HTTP_DEFAULTS = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
const PG_DEFAULTS = { 'postgres:': 5432, 'postgresql:': 5432 };

function targetText(host: string, port: number): string {
  return canonicalIp(host)?.family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where a postgres:// URL connects over TCP, or undefined for a Unix socket (`?host=/run/postgresql`). */
export function postgresTarget(raw: string): { host: string; port: number } | undefined {
  const url = new URL(raw);
  const target = urlTarget(url, PG_DEFAULTS);
  if (!target) throw new Error(`scheme ${url.protocol} is not postgres: or postgresql:`);
  const queryHost = url.searchParams.get('host');
  if (queryHost?.startsWith('/')) return undefined;
  // libpq and pg connect to localhost when the URL names no host.
  return { host: queryHost || decodeURIComponent(target.host) || 'localhost', port: target.port };
}

/**
 * Derives the policy from the config: every upstream baseUrl, a fixed embedded-worker port, a postgres
 * store and the explicit egress.allow entries. Nothing else: no blanket loopback allowance.
 * Throws AirlockError('config_invalid') naming the config path of a bad entry.
 */
export function buildEgressPolicy(
  config: AirlockConfig,
  extra: { loopbackPorts?: readonly number[] } = {},
): EgressPolicy {
  const entries: EgressEntry[] = [];
  const add = (path: string, text: string) => {
    try {
      entries.push(parseEgressEntry(text));
    } catch (err) {
      throw new AirlockError('config_invalid', { detail: `${path}: ${(err as Error).message}`, cause: err });
    }
  };
  const loopbackPorts = [...(extra.loopbackPorts ?? [])];
  config.upstreams.forEach((u, i) => {
    if (u.baseUrl) {
      const target = urlTarget(new URL(u.baseUrl), HTTP_DEFAULTS);
      if (!target)
        throw new AirlockError('config_invalid', {
          detail: `upstreams[${i}].baseUrl: only http(s) URLs can be reached`,
        });
      add(`upstreams[${i}].baseUrl`, targetText(target.host, target.port));
    }
    if (u.kind === 'embedded' && u.worker && u.worker.port > 0) loopbackPorts.push(u.worker.port);
  });
  if (config.store.driver === 'postgres') {
    let target: { host: string; port: number } | undefined;
    try {
      target = postgresTarget(config.store.url);
    } catch (err) {
      throw new AirlockError('config_invalid', {
        detail: `store.url: ${(err as Error).message}`,
        cause: err,
      });
    }
    if (target) add('store.url', targetText(target.host, target.port));
  }
  // Audit witnesses the gateway publishes checkpoints to (P9) are reached like upstreams.
  config.audit.witnessing.witnesses.forEach((w, i) => {
    const target = urlTarget(new URL(w.url), HTTP_DEFAULTS);
    if (target) add(`audit.witnessing.witnesses[${i}].url`, targetText(target.host, target.port));
  });
  // Internal REST services behind /api (P10) are reached like upstreams.
  config.apis.forEach((a, i) => {
    const target = urlTarget(new URL(a.baseUrl), HTTP_DEFAULTS);
    if (!target)
      throw new AirlockError('config_invalid', {
        detail: `apis[${i}].baseUrl: only http(s) URLs can be reached`,
      });
    add(`apis[${i}].baseUrl`, targetText(target.host, target.port));
  });
  // SIEM receivers and the trace collector inside the boundary (derived copies of the evidence).
  config.audit.exports.forEach((e, i) => {
    if (e.kind === 'syslog') add(`audit.exports[${i}]`, targetText(e.host, e.port));
  });
  if (config.tracing.endpoint) {
    const target = urlTarget(new URL(config.tracing.endpoint), HTTP_DEFAULTS);
    if (target) add('tracing.endpoint', targetText(target.host, target.port));
  }
  // MCP servers reached over HTTP (stdio servers are children under their own guard).
  config.mcp.servers.forEach((s, i) => {
    if (s.transport !== 'http') return;
    const target = urlTarget(new URL(s.url), HTTP_DEFAULTS);
    if (target) add(`mcp.servers[${i}].url`, targetText(target.host, target.port));
  });
  for (const [i, text] of config.egress.allow.entries()) add(`egress.allow[${i}]`, text);
  return new EgressPolicy(entries, loopbackPorts);
}
