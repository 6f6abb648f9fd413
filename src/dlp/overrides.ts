// Actions per route, principal and model (P6): `dlp.overrides` is an ordered list, first match wins.
// A request's actions are resolved once, from what resolve and authenticate established (never from
// anything the client formats: the /api route is the service and the operation's path template), as
// layers — the matching override's actions, then `dlp.actions` — over the secure defaults. What an
// override leaves out falls through, so narrowing one category never silently loosens another.
import { AirlockError } from '../errors.ts';
import type { ActionPolicy, DlpConfig } from './config.ts';
import type { FindingCategory } from './types.ts';

/** Who is asking, as far as matching needs (a structural subset of the pipeline's Principal). */
export interface ScopePrincipal {
  readonly id: string;
  readonly identity?: {
    readonly subjectKind: string;
    readonly roles: readonly string[];
    readonly tenant?: string;
  };
}

/** What a request touches: `/v1/chat/completions`, `/mcp`, `/api/billing/invoices/{id}` … */
export interface ActionScope {
  readonly route: string;
  readonly principal?: ScopePrincipal;
  readonly model?: string;
}

export interface ResolvedActions {
  /** Consulted in order by resolveAction / decide. */
  readonly layers: readonly ActionPolicy[];
  /** Index into `dlp.overrides` of the override that matched; undefined when none did. */
  readonly override?: number;
}

export interface ActionResolver {
  resolve(scope: ActionScope): ResolvedActions;
}

/** Exact, or a prefix when the pattern ends with `*`. */
function glob(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}

function principalMatches(pattern: string, p: ScopePrincipal | undefined): boolean {
  if (p === undefined) return false;
  if (pattern === '*') return true;
  const colon = pattern.indexOf(':');
  const kind = pattern.slice(0, colon);
  const value = pattern.slice(colon + 1);
  switch (kind) {
    case 'id':
      return glob(value, p.id);
    case 'role':
      return (p.identity?.roles ?? []).some((r) => glob(value, r));
    case 'tenant':
      return p.identity?.tenant !== undefined && glob(value, p.identity.tenant);
    default:
      // API keys carry no identity details: they are services.
      return (p.identity?.subjectKind ?? 'service') === kind && glob(value, p.id);
  }
}

export function createActionResolver(config: Pick<DlpConfig, 'actions' | 'overrides'>): ActionResolver {
  const global: readonly ActionPolicy[] = [config.actions];
  const overrides = config.overrides.map((o, index) => ({
    index,
    match: o.match,
    resolved: { layers: [o.actions, config.actions], override: index } as ResolvedActions,
  }));
  const none: ResolvedActions = { layers: global };
  return {
    resolve(scope) {
      for (const o of overrides) {
        const m = o.match;
        if (m.routes && !m.routes.some((r) => glob(r, scope.route))) continue;
        if (m.models && (scope.model === undefined || !m.models.some((x) => glob(x, scope.model!)))) continue;
        if (m.principals && !m.principals.some((x) => principalMatches(x, scope.principal))) continue;
        return o.resolved;
      }
      return none;
    },
  };
}

/**
 * Start-up check: actions that loosen the credential defaults for the secret category or a secret
 * finding type — anything but block on input (a credential goes to a model or tool), anything but
 * redact or block on output (a credential in an answer or tool result reaches the caller, often an
 * agent that hands it to a model) — must say so with `weakensCredentialBlocking: true`, so the secure
 * default is never loosened by accident; a type no rule produces is a typo.
 */
export function checkActionPolicies(
  config: Pick<DlpConfig, 'actions' | 'overrides'>,
  categoriesOf: (type: string) => ReadonlySet<FindingCategory> | undefined,
): void {
  const layers: [string, ActionPolicy][] = [
    ['dlp.actions', config.actions],
    ...config.overrides.map((o, i): [string, ActionPolicy] => [`dlp.overrides[${i}].actions`, o.actions]),
  ];
  for (const [path, policy] of layers) {
    const unknown = Object.keys(policy.types).filter((t) => categoriesOf(t) === undefined);
    if (unknown.length > 0)
      throw new AirlockError('config_invalid', {
        detail: `${path}.types names finding type(s) no enabled rule produces: ${unknown.join(', ')}`,
      });
    if (policy.weakensCredentialBlocking) continue;
    const weakened: string[] = [];
    const check = (at: string, actions: { input?: string; output?: string } | undefined) => {
      if (actions?.input !== undefined && actions.input !== 'block')
        weakened.push(`${at}.input: ${actions.input}`);
      if (actions?.output !== undefined && actions.output !== 'redact' && actions.output !== 'block')
        weakened.push(`${at}.output: ${actions.output}`);
    };
    check('categories.secret', policy.categories.secret);
    for (const [type, a] of Object.entries(policy.types))
      if (categoriesOf(type)?.has('secret')) check(`types.${type}`, a);
    if (weakened.length > 0)
      throw new AirlockError('config_invalid', {
        detail: `${path}: ${weakened.join(', ')} lets credentials reach models, tools or callers; add weakensCredentialBlocking: true to ${path} if that is intended`,
      });
  }
}
