// Local users: creation, password login with TOTP, enrolment, reset, disable (P2).
//
// Threats handled here:
// - Enumeration: an unknown name, a disabled user, a wrong password and a wrong or missing code all
//   end in the same invalid_credentials, and an unknown name still runs one argon2id verification
//   (against a dummy hash with the current parameters) so timing does not tell them apart either.
// - Guessing: exponential backoff per user name (known or not) and per client address, counted with
//   atomic increments in the store so replicas and parallel requests share one count.
// - Replay: a TOTP step is consumed atomically; the same code (or an older one) is refused.
// - MFA for admins: a correct password for an unenrolled admin yields only an enrolment outcome.
import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { AirlockError } from '../../errors.ts';
import type { Vault } from '../../secrets/vault.ts';
import { INTERNAL_PREFIX } from '../../secrets/vault-resolver.ts';
import { throttlePolicy, type UsersConfig } from './config.ts';
import {
  type Argon2Params,
  hashPassword,
  MAX_PASSWORD_BYTES,
  needsRehash,
  verifyPassword,
} from './password.ts';
import { lockedUntilAfter, retryAfterMs, type ThrottlePolicy } from './throttle.ts';
import { base32Encode, newTotpSecret, otpauthUri, verifyTotp } from './totp.ts';
import type { UserRecord, UserRepo, UserRole } from './user-repo.ts';

export type UserEvent = {
  readonly type:
    | 'user.created'
    | 'user.login.succeeded'
    | 'user.login.failed'
    | 'user.login.locked'
    | 'user.login.rehashed'
    | 'user.totp.enrolled'
    | 'user.totp.reset'
    | 'user.password.changed'
    | 'user.disabled';
  readonly userId?: string;
  readonly clientAddress?: string;
  readonly actor?: string;
};

export interface PublicUser {
  readonly id: string;
  readonly name: string;
  readonly role: UserRole;
  readonly mfa: 'none' | 'pending' | 'enabled';
  readonly createdAt: string;
  readonly disabledAt: string | null;
}

export type LoginOutcome =
  | { readonly kind: 'ok'; readonly user: UserRecord }
  /** Correct password, but the role requires TOTP and none is enrolled: only enrolment is allowed. */
  | { readonly kind: 'enroll'; readonly user: UserRecord };

/** What enrolment shows once. Prints as redacted so it never lands in a log by accident. */
export interface TotpEnrollment {
  readonly otpauthUri: string;
  readonly secret: string;
}

export interface UserService {
  create(input: { name: string; role: UserRole; password: string; actor?: string }): Promise<PublicUser>;
  list(): Promise<PublicUser[]>;
  get(idOrName: string): Promise<UserRecord | undefined>;
  login(input: {
    name: string;
    password: string;
    totp?: string;
    clientAddress: string;
  }): Promise<LoginOutcome>;
  startTotpEnrollment(userId: string): Promise<TotpEnrollment>;
  confirmTotp(userId: string, code: string): Promise<void>;
  resetTotp(userId: string, actor?: string): Promise<void>;
  setPassword(userId: string, password: string, actor?: string): Promise<void>;
  disable(userId: string, actor?: string): Promise<void>;
  mfaRequired(role: UserRole): boolean;
}

export interface UserServiceDeps {
  readonly repo: UserRepo;
  readonly vault: Vault;
  readonly now?: () => number;
  readonly onEvent?: (e: UserEvent) => void | Promise<void>;
}

const NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export function normalizeName(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

export function totpSecretName(userId: string): string {
  return `${INTERNAL_PREFIX}user.${userId}.totp`;
}

export function publicUser(u: UserRecord): PublicUser {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    mfa: u.totpState,
    createdAt: new Date(u.createdAt).toISOString(),
    disabledAt: u.disabledAt === null ? null : new Date(u.disabledAt).toISOString(),
  };
}

export function createUserService(config: UsersConfig, deps: UserServiceDeps): UserService {
  const now = deps.now ?? Date.now;
  const params: Argon2Params = {
    memory: config.password.memoryKiB,
    passes: config.password.passes,
    parallelism: config.password.parallelism,
  };
  const perUser = throttlePolicy(config.lockout.perUser);
  const perAddress = throttlePolicy(config.lockout.perAddress);
  // A hash of a random password with today's parameters: unknown names verify against it.
  let dummy: Promise<string> | undefined;
  const dummyHash = () => {
    dummy ??= hashPassword(randomBytes(16).toString('hex'), params);
    return dummy;
  };

  const emit = async (e: UserEvent) => {
    if (deps.onEvent) await deps.onEvent(e);
  };
  const checkPassword = (password: string) => {
    const bytes = Buffer.byteLength(password, 'utf8');
    if ([...password].length < config.password.minLength || bytes > MAX_PASSWORD_BYTES)
      throw new AirlockError('invalid_request', {
        detail: `passwords are ${config.password.minLength} to ${MAX_PASSWORD_BYTES} bytes long`,
      });
  };
  const mustGet = async (userId: string) => {
    const u = await deps.repo.getUser(userId);
    if (!u) throw new AirlockError('invalid_request', { detail: `no user ${userId}` });
    return u;
  };
  const mfaRequired = (role: UserRole) => config.mfaRequiredFor.includes(role);

  const fail = async (
    keys: { userKey: string; addrKey: string },
    userId: string | undefined,
    clientAddress: string,
  ) => {
    const t = now();
    const count = async (key: string, policy: ThrottlePolicy) => {
      const failures = await deps.repo.recordFailure(key, t, policy.resetAfterMs);
      const until = lockedUntilAfter(failures, t, policy);
      if (until > 0) await deps.repo.lockUntil(key, until);
    };
    await Promise.all([count(keys.userKey, perUser), count(keys.addrKey, perAddress)]);
    await emit({ type: 'user.login.failed', ...(userId ? { userId } : {}), clientAddress });
    return new AirlockError('invalid_credentials');
  };

  return {
    mfaRequired,

    async create({ name, role, password, actor }) {
      const n = normalizeName(name);
      if (!NAME.test(n))
        throw new AirlockError('invalid_request', {
          detail: 'user names are 1-64 of a-z 0-9 . _ @ - (lower case)',
        });
      checkPassword(password);
      const t = now();
      const user: UserRecord = {
        id: `usr_${randomUUID()}`,
        name: n,
        role,
        passwordHash: await hashPassword(password, params),
        passwordChangedAt: t,
        totpState: 'none',
        totpLastStep: null,
        createdAt: t,
        disabledAt: null,
      };
      await deps.repo.insertUser(user);
      await emit({ type: 'user.created', userId: user.id, ...(actor ? { actor } : {}) });
      return publicUser(user);
    },

    async list() {
      return (await deps.repo.listUsers()).map(publicUser);
    },

    async get(idOrName) {
      return idOrName.startsWith('usr_')
        ? deps.repo.getUser(idOrName)
        : deps.repo.findUserByName(normalizeName(idOrName));
    },

    async login({ name, password, totp, clientAddress }) {
      const n = normalizeName(name);
      const keys = { userKey: `user:${n.slice(0, 128)}`, addrKey: `addr:${clientAddress}` };
      const t = now();
      const [u, a] = await Promise.all([
        deps.repo.getThrottle(keys.userKey),
        deps.repo.getThrottle(keys.addrKey),
      ]);
      const wait = Math.max(retryAfterMs(u, t), retryAfterMs(a, t));
      if (wait > 0) {
        await emit({ type: 'user.login.locked', clientAddress });
        throw new AirlockError('login_locked', { retryAfter: Math.ceil(wait / 1000) });
      }
      const tooLong = Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
      const user = NAME.test(n) ? await deps.repo.findUserByName(n) : undefined;
      // Always one argon2id verification, against the user's hash or the dummy one.
      const verified = await verifyPassword(
        tooLong ? '' : password,
        user?.passwordHash ?? (await dummyHash()),
      );
      if (!user || !verified || tooLong || user.disabledAt !== null)
        throw await fail(keys, user?.id, clientAddress);

      if (user.totpState === 'enabled') {
        if (totp === undefined || totp === '') throw await fail(keys, user.id, clientAddress);
        const secret = await deps.vault.getBytes(totpSecretName(user.id));
        let step: number | undefined;
        try {
          step = verifyTotp(secret, totp, now(), { window: 1, lastUsedStep: user.totpLastStep });
        } finally {
          secret.fill(0);
        }
        if (step === undefined || !(await deps.repo.consumeTotpStep(user.id, step)))
          throw await fail(keys, user.id, clientAddress);
      }

      await deps.repo.clearThrottle(keys.userKey);
      if (needsRehash(user.passwordHash, params)) {
        await deps.repo.setPasswordHash(user.id, await hashPassword(password, params), null);
        await emit({ type: 'user.login.rehashed', userId: user.id });
      }
      if (user.totpState !== 'enabled' && mfaRequired(user.role)) return { kind: 'enroll', user };
      await emit({ type: 'user.login.succeeded', userId: user.id, clientAddress });
      return { kind: 'ok', user };
    },

    async startTotpEnrollment(userId) {
      const user = await mustGet(userId);
      if (user.totpState === 'enabled')
        throw new AirlockError('conflict', {
          detail: 'TOTP is already enrolled; an admin must reset it first',
        });
      const secret = newTotpSecret();
      try {
        const name = totpSecretName(user.id);
        const existing = (await deps.vault.list()).some((s) => s.name === name);
        if (existing) await deps.vault.rotate(name, secret);
        else await deps.vault.put(name, secret);
        await deps.repo.setTotpState(user.id, 'pending');
        const enrollment = {
          otpauthUri: otpauthUri({ issuer: config.totpIssuer, account: user.name, secret }),
          secret: base32Encode(secret),
        };
        return Object.defineProperties(enrollment, {
          [inspect.custom]: { value: () => '[TotpEnrollment redacted]', enumerable: false },
        });
      } finally {
        secret.fill(0);
      }
    },

    async confirmTotp(userId, code) {
      const user = await mustGet(userId);
      if (user.totpState !== 'pending')
        throw new AirlockError('conflict', { detail: 'no TOTP enrolment is pending for this user' });
      const secret = await deps.vault.getBytes(totpSecretName(user.id));
      let step: number | undefined;
      try {
        step = verifyTotp(secret, code, now(), { window: 1 });
      } finally {
        secret.fill(0);
      }
      if (step === undefined)
        throw new AirlockError('invalid_credentials', { detail: 'enrolment code did not match' });
      await deps.repo.setTotpState(user.id, 'enabled', step);
      await emit({ type: 'user.totp.enrolled', userId: user.id });
    },

    async resetTotp(userId, actor) {
      const user = await mustGet(userId);
      await deps.repo.setTotpState(user.id, 'none');
      await deps.vault.delete(totpSecretName(user.id)).catch((err: unknown) => {
        if (!(err instanceof AirlockError && err.code === 'secret_not_found')) throw err;
      });
      await deps.repo.revokeUserSessions(user.id, now());
      await emit({ type: 'user.totp.reset', userId: user.id, ...(actor ? { actor } : {}) });
    },

    async setPassword(userId, password, actor) {
      checkPassword(password);
      const user = await mustGet(userId);
      const t = now();
      await deps.repo.setPasswordHash(user.id, await hashPassword(password, params), t);
      await deps.repo.revokeUserSessions(user.id, t);
      await emit({ type: 'user.password.changed', userId: user.id, ...(actor ? { actor } : {}) });
    },

    async disable(userId, actor) {
      const user = await mustGet(userId);
      const t = now();
      await deps.repo.disableUser(user.id, t);
      await deps.repo.revokeUserSessions(user.id, t);
      await emit({ type: 'user.disabled', userId: user.id, ...(actor ? { actor } : {}) });
    },
  };
}
