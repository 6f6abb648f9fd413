// The identity a credential proves, beyond what today's Principal (src/http/context.ts) carries.
// Authenticators in this folder return `Principal & { identity }`, which is assignable to Principal,
// so the pipeline compiles unchanged; the lead folds `identity` into Principal when merging.
import type { Principal } from '../http/context.ts';
import type { SubjectKind } from './config.ts';

export type CredentialKind = 'api-key' | 'jwt' | 'mtls' | 'task-token';

/** RFC 8693 §4.1 actor: the outermost `act` is the current actor, nested ones are prior actors. */
export interface Actor {
  readonly sub: string;
  readonly iss?: string;
  readonly act?: Actor;
}

export interface IdentityDetails {
  readonly subjectKind: SubjectKind;
  readonly credentialKind: CredentialKind;
  readonly issuer?: string;
  readonly roles: readonly string[];
  readonly tenant?: string;
  /** OAuth scopes (`model:<alias>`, `endpoint:<name>`, `tool:<name>` …; `prefix:*` covers a prefix). */
  readonly scope: readonly string[];
  readonly act?: Actor;
  readonly taskId?: string;
  readonly spiffeId?: string;
}

export type IdentityPrincipal = Principal & { readonly identity: IdentityDetails };

export function hasIdentity(p: Principal): p is IdentityPrincipal {
  return typeof (p as Partial<IdentityPrincipal>).identity === 'object';
}

/** Scopes an API key implies, in the same vocabulary as OAuth scopes. */
export function scopesOfPrincipal(p: Principal): string[] {
  if (hasIdentity(p)) return [...p.identity.scope];
  return [...p.scopes.models.map((m) => `model:${m}`), ...p.scopes.endpoints.map((e) => `endpoint:${e}`)];
}

/** Today's Principal.scopes (models, endpoints) from OAuth-style scopes. */
export function pipelineScopes(scope: readonly string[]): Principal['scopes'] {
  const pick = (prefix: string) =>
    scope
      .filter((s) => s.startsWith(prefix))
      .map((s) => s.slice(prefix.length))
      .filter((s) => s.length > 0);
  return { models: pick('model:'), endpoints: pick('endpoint:') };
}

/** Does `held` cover `wanted`? Exact match, or `prefix:*` covering every `prefix:…`. */
export function scopeCovers(held: readonly string[], wanted: string): boolean {
  for (const h of held) {
    if (h === wanted) return true;
    if (h.endsWith(':*') && wanted.startsWith(h.slice(0, -1)) && wanted.length > h.length - 1) return true;
  }
  return false;
}

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/; // RFC 6749 §3.3 scope-token

export function parseScope(value: unknown): string[] | undefined {
  const parts = typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : value;
  if (!Array.isArray(parts) || parts.length > 256) return undefined;
  const out: string[] = [];
  for (const s of parts) {
    if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) return undefined;
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** Validates an `act` claim (nested objects with string `sub`), bounded in depth. */
export function parseActor(value: unknown, maxDepth: number): Actor | undefined | 'invalid' {
  if (value === undefined) return undefined;
  if (maxDepth <= 0 || typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid';
  const v = value as Record<string, unknown>;
  if (typeof v.sub !== 'string' || v.sub.length === 0 || v.sub.length > 256) return 'invalid';
  if (v.iss !== undefined && typeof v.iss !== 'string') return 'invalid';
  const inner = parseActor(v.act, maxDepth - 1);
  if (inner === 'invalid') return 'invalid';
  return {
    sub: v.sub,
    ...(typeof v.iss === 'string' ? { iss: v.iss } : {}),
    ...(inner ? { act: inner } : {}),
  };
}

export function actorDepth(act: Actor | undefined): number {
  let n = 0;
  for (let a = act; a; a = a.act) n++;
  return n;
}

/** Reads a claim by dotted path (`realm_access.roles`); own properties only. */
export function readClaim(payload: Record<string, unknown>, path: string): unknown {
  let cur: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : value;
  if (!Array.isArray(list) || list.length > 256) return undefined;
  return list.every((s) => typeof s === 'string' && s.length <= 256) ? (list as string[]) : undefined;
}
