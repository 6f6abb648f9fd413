// The CLI side of the admin API for `airlock approvals|breakglass|changes`: these decisions are
// made by a named person through the gateway (so the two-person rule, roles and the audit log all
// apply), never straight against the file. URL from --url or AIRLOCK_URL; admin key or session
// token from AIRLOCK_ADMIN_KEY.
import { UsageError } from '../../cli/args.ts';
import type { CliIo } from '../../cli/types.ts';

export type AdminCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

export function adminClient(io: CliIo, url: string | undefined): AdminCall {
  const base = (url ?? io.env.AIRLOCK_URL ?? '').replace(/\/+$/, '');
  if (!base) throw new UsageError('--url (or AIRLOCK_URL) is required');
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
