// `airlock doctor`: an OFFLINE air-gap check of a config. It opens no socket and sends no DNS query:
// names are looked up in the hosts file only. It lists every address the config would reach and
// reports anything that could leave the boundary, plus listener, TLS-key and credential hygiene.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AirlockConfig } from '../config/schema.ts';
import { custodyFindings } from '../custody/doctor-findings.ts';
import { type AddressScope, addressScope, canonicalIp, isInternalScope, normaliseName } from './address.ts';
import { backendAdvice } from './doctor-backends.ts';
import { credentialFindings, listenerFindings } from './doctor-hygiene.ts';
import { isEgressGuardInstalled } from './guard.ts';
import { type EgressEntry, EgressPolicy, parseEgressEntry, postgresTarget, urlTarget } from './policy.ts';

export type FindingLevel = 'ok' | 'warn' | 'error';

export interface DoctorFinding {
  readonly level: FindingLevel;
  readonly code: string;
  readonly message: string;
  readonly fix: string;
}

export interface DoctorTarget {
  /** Where in the config it comes from: `upstreams[0] (vllm)`, `store.url`, `egress.allow[2]`. */
  readonly source: string;
  /** Host name, IP literal or CIDR. */
  readonly host: string;
  /** null: any port. */
  readonly port: number | null;
  /** `ip literal`, `cidr`, `hosts file: 10.0.0.5`, or `name (not resolved offline)`. */
  readonly resolvedAs: string;
  readonly scope: AddressScope | 'unknown';
  readonly allowed: boolean;
}

export interface DoctorCredential {
  readonly id: string;
  readonly kind: string;
  /** null: no expiry (itself a finding: P2 allows no credential without one). */
  readonly expiresAt: Date | string | null;
}

export interface DoctorOptions {
  readonly now?: Date;
  readonly configPath?: string;
  /** Folder relative TLS paths resolve against; defaults to the config file's folder, then cwd. */
  readonly configDir?: string;
  /** Hosts file used for offline name resolution (default /etc/hosts). */
  readonly hostsFile?: string;
  /** Credentials to check for expiry, e.g. API keys from the store. */
  readonly credentials?: readonly DoctorCredential[] | (() => readonly DoctorCredential[]);
}

export interface DoctorReport {
  readonly generatedAt: string;
  readonly configPath: string | undefined;
  readonly guard: 'active' | 'installed at serve';
  readonly targets: readonly DoctorTarget[];
  readonly findings: readonly DoctorFinding[];
  /** 1 when any finding is an error. */
  readonly exitCode: 0 | 1;
}

const HTTP_DEFAULTS = { 'http:': 80, 'https:': 443 };

/** name → addresses from a hosts file; an unreadable file is an empty map (reported by the caller). */
export function readHostsFile(path: string): Map<string, string[]> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !canonicalIp(address)) continue;
    for (const name of names)
      map.set(normaliseName(name), [...(map.get(normaliseName(name)) ?? []), address]);
  }
  return map;
}

function lastIpv4(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, b) => acc * 256 + Number(b), 0);
  const last = n + (2 ** (32 - prefix) - 1);
  return [24, 16, 8, 0].map((shift) => Math.floor(last / 2 ** shift) % 256).join('.');
}

function entryScope(
  entry: EgressEntry,
  hosts: Map<string, string[]> | undefined,
): Pick<DoctorTarget, 'resolvedAs' | 'scope'> {
  if (entry.kind === 'address') {
    const first = addressScope(entry.host, entry.family!);
    const whole = entry.prefix === (entry.family === 4 ? 32 : 128);
    // A CIDR is internal only if both ends are (10.0.0.0/7 reaches the public 11/8).
    const last = entry.family === 4 && !whole ? addressScope(lastIpv4(entry.host, entry.prefix!), 4) : first;
    const scope = isInternalScope(first) && isInternalScope(last) && entry.prefix !== 0 ? first : 'public';
    return { resolvedAs: whole ? 'ip literal' : 'cidr', scope };
  }
  const addresses = hosts?.get(entry.host);
  if (!addresses || addresses.length === 0)
    return { resolvedAs: 'name (not resolved offline)', scope: 'unknown' };
  const scopes = addresses.map((a) => {
    const ip = canonicalIp(a)!;
    return addressScope(ip.address, ip.family);
  });
  return {
    resolvedAs: `hosts file: ${addresses.join(', ')}`,
    scope: scopes.find((s) => !isInternalScope(s)) ?? scopes[0]!,
  };
}

function collectEntries(
  config: AirlockConfig,
  findings: DoctorFinding[],
): Array<{ source: string; entry: EgressEntry }> {
  const out: Array<{ source: string; entry: EgressEntry }> = [];
  const add = (source: string, text: string) => {
    try {
      out.push({ source, entry: parseEgressEntry(text) });
    } catch (err) {
      findings.push({
        level: 'error',
        code: 'egress_entry_invalid',
        message: `${source}: ${(err as Error).message}`,
        fix: 'Fix the entry: host:port, IP[:port] or CIDR[:port] (IPv6 in brackets).',
      });
    }
  };
  const hostPort = (host: string, port: number) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  config.upstreams.forEach((u, i) => {
    const source = `upstreams[${i}] (${u.name})`;
    if (u.baseUrl) {
      const t = urlTarget(new URL(u.baseUrl), HTTP_DEFAULTS);
      if (t) add(source, hostPort(t.host, t.port));
      else
        findings.push({
          level: 'error',
          code: 'upstream_scheme',
          message: `${source}: ${u.baseUrl} is not http(s)`,
          fix: 'Use an http:// or https:// base URL.',
        });
    }
    if (u.kind === 'embedded' && u.worker && u.worker.port > 0)
      add(`${source} worker`, `127.0.0.1:${u.worker.port}`);
  });
  if (config.store.driver === 'postgres') {
    try {
      const t = postgresTarget(config.store.url);
      if (t) add('store.url', hostPort(t.host, t.port));
    } catch (err) {
      findings.push({
        level: 'error',
        code: 'store_url_invalid',
        message: `store.url: ${(err as Error).message}`,
        fix: 'Use postgres://user@host:port/db.',
      });
    }
  }
  for (const [i, text] of config.egress.allow.entries()) add(`egress.allow[${i}]`, text);
  return out;
}

function targetFindings(t: DoctorTarget, entry: EgressEntry): DoctorFinding[] {
  const where = `${t.source} → ${entry.text}`;
  if (entry.kind === 'address' && entry.prefix === 0)
    return [
      {
        level: 'error',
        code: 'egress_allow_all',
        message: `${where} allows every address`,
        fix: 'Replace it with the specific internal hosts or ranges airlock needs.',
      },
    ];
  if (t.scope === 'public')
    return [
      {
        level: 'error',
        code: 'egress_public_target',
        message: `${where} is a public address (${t.resolvedAs})`,
        fix: 'Point it at an address inside the boundary (loopback, RFC 1918, ULA) or remove it.',
      },
    ];
  if (t.scope === 'unknown')
    return [
      {
        level: 'warn',
        code: 'egress_name_unresolved',
        message: `${where}: name not in the hosts file; the system resolver will be asked at run time`,
        fix: 'Use an IP literal, or add the name to /etc/hosts, or make sure the resolver in /etc/resolv.conf is internal.',
      },
    ];
  return [
    {
      level: 'ok',
      code: 'egress_target_internal',
      message: `${where} is internal (${t.scope}, ${t.resolvedAs})`,
      fix: 'Nothing to do.',
    },
  ];
}

export function runDoctor(config: AirlockConfig, opts: DoctorOptions = {}): DoctorReport {
  const now = opts.now ?? new Date();
  const findings: DoctorFinding[] = [];
  const hostsFile = opts.hostsFile ?? '/etc/hosts';
  const hosts = readHostsFile(hostsFile);
  if (!hosts)
    findings.push({
      level: 'warn',
      code: 'hosts_file_unreadable',
      message: `${hostsFile} cannot be read; names are reported unresolved`,
      fix: 'Check the path and permissions.',
    });

  const entries = collectEntries(config, findings);
  const policy = new EgressPolicy(entries.map((e) => e.entry));
  const targets = entries.map(({ source, entry }): DoctorTarget => {
    const target: DoctorTarget = {
      source,
      host:
        entry.prefix !== null && entry.prefix !== (entry.family === 4 ? 32 : 128)
          ? `${entry.host}/${entry.prefix}`
          : entry.host,
      port: entry.port,
      ...entryScope(entry, hosts),
      allowed: entry.port === null ? policy.allowsHost(entry.host) : policy.allows(entry.host, entry.port),
    };
    findings.push(...targetFindings(target, entry));
    return target;
  });

  for (const kind of new Set(config.upstreams.map((u) => u.kind))) {
    const advice = backendAdvice[kind];
    findings.push({ level: advice.level, code: advice.code, message: advice.message, fix: advice.fix });
  }
  const dir = opts.configDir ?? (opts.configPath ? dirname(resolve(opts.configPath)) : process.cwd());
  findings.push(...listenerFindings(config, dir));
  const credentials = typeof opts.credentials === 'function' ? opts.credentials() : (opts.credentials ?? []);
  findings.push(...credentialFindings(credentials, now));
  findings.push(...custodyFindings(config));

  const guard = isEgressGuardInstalled() ? 'active' : 'installed at serve';
  findings.push({
    level: 'ok',
    code: 'egress_guard',
    message: `egress guard: ${guard}`,
    fix: 'Nothing to do: `airlock serve` installs it before loading anything else.',
  });
  return {
    generatedAt: now.toISOString(),
    configPath: opts.configPath,
    guard,
    targets,
    findings,
    exitCode: findings.some((f) => f.level === 'error') ? 1 : 0,
  };
}
