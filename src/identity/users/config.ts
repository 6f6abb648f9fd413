// Local users and console sessions (STYLE 3: schema next to the handlers; the lead mounts it at
// `users:` in the config schema). Defaults follow OWASP: argon2id 19 MiB / 2 passes, MFA for admins,
// backoff after 5 failures per user and 20 per address, 15 min idle and 8 h absolute session limits.
import { z } from 'zod';
import { durationMs } from '../../config/duration.ts';
import { PASSWORD_FLOOR } from './password.ts';
import type { ThrottlePolicy } from './throttle.ts';

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 15m or 8h');

const throttleSchema = (threshold: number) =>
  z
    .strictObject({
      threshold: z.number().int().min(1).default(threshold).describe('Failures before the first lock.'),
      baseDelay: duration.default('30s').describe('First lock; doubles with each further failure.'),
      maxDelay: duration.default('15m').describe('Longest lock.'),
      resetAfter: duration.default('15m').describe('Quiet time after which the count restarts.'),
    })
    .prefault({});

export const usersConfigSchema = z
  .strictObject({
    password: z
      .strictObject({
        memoryKiB: z.number().int().min(PASSWORD_FLOOR.memory).default(19_456),
        passes: z.number().int().min(PASSWORD_FLOOR.passes).default(2),
        parallelism: z.number().int().min(1).max(16).default(1),
        minLength: z.number().int().min(8).max(256).default(12),
      })
      .prefault({})
      .describe('argon2id parameters for new hashes; raising them rehashes users at their next login.'),
    mfaRequiredFor: z
      .array(z.enum(['admin', 'user']))
      .default(['admin'])
      .refine((roles) => roles.includes('admin'), 'MFA cannot be turned off for admins')
      .describe('Roles that must use TOTP; an unenrolled user of these roles can only enrol.'),
    totpIssuer: z.string().min(1).max(64).default('airlock').describe('Issuer shown in authenticator apps.'),
    lockout: z
      .strictObject({ perUser: throttleSchema(5), perAddress: throttleSchema(20) })
      .prefault({})
      .describe('Exponential backoff after repeated failed logins.'),
    session: z
      .strictObject({
        idleTimeout: duration.default('15m'),
        absoluteTimeout: duration.default('8h'),
      })
      .prefault({}),
  })
  .prefault({})
  .describe('Local users (console and admin login) with argon2id passwords and TOTP.');

export type UsersConfig = z.output<typeof usersConfigSchema>;

export function throttlePolicy(c: UsersConfig['lockout']['perUser']): ThrottlePolicy {
  return {
    threshold: c.threshold,
    baseMs: durationMs(c.baseDelay),
    maxMs: durationMs(c.maxDelay),
    resetAfterMs: durationMs(c.resetAfter),
  };
}
