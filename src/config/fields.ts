// Field schemas shared by every config section. Planes import these (not src/config/schema.ts, which
// imports every plane's section — a cycle would leave values uninitialised at load time).
import { z } from 'zod';

export const durationField = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 15m, 24h or 90d')
  .describe('Duration: a whole number followed by ms, s, m, h or d.');

/** `secret:NAME` — resolved from the vault (or a 0600 secret file); never inline. */
export const secretRefField = z
  .string()
  .regex(
    /^secret:[A-Za-z0-9_.-]+$/,
    'a secret reference such as secret:UPSTREAM_TOKEN (inline secrets are not allowed)',
  )
  .describe('Reference to a secret held by airlock: secret:NAME.');
