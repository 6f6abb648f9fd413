// Doctor checks that are not about addresses: plain-HTTP listeners, TLS file permissions, and
// credentials near or past their lifetime (P2: none without an expiry).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AirlockConfig } from '../config/schema.ts';
import { addressScope, canonicalIp } from './address.ts';
import type { DoctorCredential, DoctorFinding } from './doctor.ts';

const DAY_MS = 86_400_000;
const EXPIRY_WARNING_DAYS = 7;

export function listenerFindings(config: AirlockConfig, dir: string): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  for (const [name, l] of Object.entries(config.listeners)) {
    if (!l) continue;
    const ip = canonicalIp(l.host);
    const loopback =
      l.host === 'localhost' || (ip !== undefined && addressScope(ip.address, ip.family) === 'loopback');
    if (!l.tls && !loopback)
      out.push({
        level: 'warn',
        code: 'listener_plain_http',
        message: `listeners.${name} serves plain HTTP on ${l.host}:${l.port}`,
        fix: `Add listeners.${name}.tls (cert and key), or bind it to 127.0.0.1 behind a TLS terminator.`,
      });
    if (!l.tls) continue;
    for (const [field, file] of [
      ['key', l.tls.key],
      ['cert', l.tls.cert],
      ['clientCa', l.tls.clientCa],
    ] as const) {
      if (!file) continue;
      const path = resolve(dir, file);
      let mode: number;
      try {
        mode = statSync(path).mode;
      } catch {
        out.push({
          level: 'error',
          code: 'tls_file_missing',
          message: `listeners.${name}.tls.${field}: ${path} cannot be read`,
          fix: 'Create the file or fix the path.',
        });
        continue;
      }
      if (field === 'key' && (mode & 0o077) !== 0)
        out.push({
          level: 'error',
          code: 'tls_key_permissions',
          message: `listeners.${name}.tls.key ${path} is mode ${(mode & 0o777).toString(8)}; others can read the private key`,
          fix: `chmod 600 ${path}`,
        });
      else if (field === 'key')
        out.push({
          level: 'ok',
          code: 'tls_key_permissions',
          message: `listeners.${name}.tls.key is 0600`,
          fix: 'Nothing to do.',
        });
    }
  }
  return out;
}

export function credentialFindings(list: readonly DoctorCredential[], now: Date): DoctorFinding[] {
  return list.flatMap((c): DoctorFinding[] => {
    const label = `${c.kind} ${c.id}`;
    if (c.expiresAt === null)
      return [
        {
          level: 'error',
          code: 'credential_no_expiry',
          message: `${label} never expires`,
          fix: 'Rotate it into a credential with an expiry (P2).',
        },
      ];
    const ms = new Date(c.expiresAt).getTime() - now.getTime();
    if (Number.isNaN(ms))
      return [
        {
          level: 'error',
          code: 'credential_expiry_invalid',
          message: `${label} has an unreadable expiry`,
          fix: 'Re-issue it.',
        },
      ];
    if (ms <= 0)
      return [
        {
          level: 'error',
          code: 'credential_expired',
          message: `${label} expired ${new Date(c.expiresAt).toISOString()}`,
          fix: 'Revoke it and issue a new one.',
        },
      ];
    if (ms <= EXPIRY_WARNING_DAYS * DAY_MS)
      return [
        {
          level: 'warn',
          code: 'credential_expiring',
          message: `${label} expires ${new Date(c.expiresAt).toISOString()} (within ${EXPIRY_WARNING_DAYS} days)`,
          fix: 'Rotate it now (airlock keys rotate).',
        },
      ];
    return [];
  });
}
