// MCP sessions (Streamable HTTP `Mcp-Session-Id`): created by a successful initialize, bound to the
// principal that created it, forgotten after an idle timeout or on DELETE. Ids are 128 random bits
// (base64url, visible ASCII as the spec requires). A session is not a credential: every request is
// still authenticated, and a session used by another principal is reported as unknown (no probing).
import { randomBytes } from 'node:crypto';
import type { Principal } from '../http/context.ts';

export interface McpSession {
  readonly id: string;
  /** `kind:id` of the principal that initialized it (survives token refresh, not a change of caller). */
  readonly owner: string;
  readonly protocolVersion: string;
  /** What the client declared in initialize (`capabilities`): e.g. `elicitation.url`. */
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  lastSeen: number;
}

export interface SessionStore {
  create(
    principal: Principal,
    protocolVersion: string,
    clientCapabilities?: Readonly<Record<string, unknown>>,
  ): McpSession | undefined;
  /** The session if it exists, is not idle-expired and belongs to this principal. */
  get(id: string, principal: Principal): McpSession | undefined;
  delete(id: string, principal: Principal): boolean;
  size(): number;
}

export const ownerOf = (p: Principal): string => `${p.kind}:${p.id}`;

export function createSessionStore(opts: {
  maxSessions: number;
  idleMs: number;
  now?: () => number;
}): SessionStore {
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, McpSession>();
  const expired = (s: McpSession, t: number) => t - s.lastSeen > opts.idleMs;
  const sweep = (t: number) => {
    for (const [id, s] of sessions) if (expired(s, t)) sessions.delete(id);
  };
  return {
    create(principal, protocolVersion, clientCapabilities = {}) {
      const t = now();
      if (sessions.size >= opts.maxSessions) sweep(t);
      if (sessions.size >= opts.maxSessions) return undefined;
      const s: McpSession = {
        id: randomBytes(16).toString('base64url'),
        owner: ownerOf(principal),
        protocolVersion,
        clientCapabilities,
        createdAt: t,
        lastSeen: t,
      };
      sessions.set(s.id, s);
      return s;
    },
    get(id, principal) {
      const s = sessions.get(id);
      if (!s) return undefined;
      const t = now();
      if (expired(s, t)) {
        sessions.delete(id);
        return undefined;
      }
      if (s.owner !== ownerOf(principal)) return undefined;
      s.lastSeen = t;
      return s;
    },
    delete(id, principal) {
      const s = sessions.get(id);
      if (!s || s.owner !== ownerOf(principal)) return false;
      return sessions.delete(id);
    },
    size: () => sessions.size,
  };
}
