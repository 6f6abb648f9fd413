// The CLI side of the admin API for `airlock approvals|breakglass|changes`: these decisions are
// made by a named person through the gateway (so the two-person rule, roles and the audit log all
// apply), never straight against the file. URL from --url or AIRLOCK_URL; admin key or session
// token from AIRLOCK_ADMIN_KEY.
import { UsageError } from '../../cli/args.ts';
import type { CliIo } from '../../cli/types.ts';
import { canonicalIp } from '../../egress/address.ts';
import { EgressPolicy, parseEgressEntry, urlTarget } from '../../egress/policy.ts';

export type AdminCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

/**
 * The CLI runs under the deny-all egress guard bin/airlock.js installs, so exactly the admin URL the
 * operator named (host and port, nothing else) is let through before the first call.
 */
export function allowAdminUrl(io: Pick<CliIo, 'egress'>, base: string): void {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`--url ${base} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url ${base} must be an http:// or https:// URL`);
  const guard = io.egress?.guard;
  const target = urlTarget(url, { 'http:': 80, 'https:': 443 });
  if (!guard || !target) return;
  const ip = canonicalIp(target.host);
  if (ip?.address === '127.0.0.1' || ip?.address === '::1') {
    guard.allowLoopbackPort(target.port);
    return;
  }
  // A name (localhost included) must also pass the guard's DNS check, so it goes in as a name entry.
  const entry = parseEgressEntry(
    ip?.family === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`,
  );
  const current = guard.policy;
  guard.setPolicy(new EgressPolicy([...current.entries, entry], current.loopbackPorts));
}

export function adminClient(io: CliIo, url: string | undefined): AdminCall {
  const base = (url ?? io.env.AIRLOCK_URL ?? '').replace(/\/+$/, '');
  if (!base) throw new UsageError('--url (or AIRLOCK_URL) is required');
  allowAdminUrl(io, base);
  const key = io.env.AIRLOCK_ADMIN_KEY;
  if (!key) throw new UsageError('AIRLOCK_ADMIN_KEY must hold an admin credential');
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const err = (json.error ?? {}) as { code?: string; message?: string };
      throw new Error(`${res.status} ${err.code ?? 'error'}: ${err.message ?? res.statusText}`);
    }
    return json;
  };
}
