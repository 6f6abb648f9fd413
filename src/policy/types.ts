// The authorize contract: one policy decision point (Cedar) that sees principal, action, resource
// and context and answers allow | deny | needs-approval | needs-step-up with the ids of the
// policies that decided. Default deny; a forbid overrides any permit.
import type { CedarValueJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { FindingsSummary } from '../dlp/summary.ts';

export type { CedarValueJson };

/** Actions in src/policy/schema.cedarschema (without the `Airlock::Action::` prefix). */
export type ModelAction = 'chat' | 'complete' | 'embed' | 'models/list';
export type ToolAction =
  | 'tools/list'
  | 'tools/call'
  | 'prompts/list'
  | 'prompts/get'
  | 'resources/list'
  | 'resources/read';
export type AdminAction = `admin/${string}`;
export type PolicyAction = ModelAction | ToolAction | 'api/call' | AdminAction;

/** The resource families policies are sliced by (one action group each in the schema). */
export type PolicyFamily = 'models' | 'tools' | 'apis' | 'admin';

/** An entity reference: type without the namespace (`ServiceAccount`) or fully qualified. */
export interface EntityRef {
  readonly type: string;
  readonly id: string;
}

/** An entity with its attributes (Cedar JSON values: entity references as `{ __entity: … }`). */
export interface PolicyEntity extends EntityRef {
  readonly attrs?: Readonly<Record<string, CedarValueJson>>;
  readonly parents?: readonly EntityRef[];
  readonly tags?: Readonly<Record<string, CedarValueJson>>;
}

/** The request context, as stages know it. Missing time/stream/findings get defaults (now, false, []). */
export interface DecisionContext {
  /** Epoch milliseconds (the PDP hands Cedar whole seconds plus hourOfDay / dayOfWeek in UTC). */
  readonly now?: number;
  readonly clientAddress?: string;
  readonly zone?: string;
  readonly stream?: boolean;
  readonly tokenEstimate?: number;
  /** The inbound DLP findings summary (types, count, hasCredential, hasPii — never values). */
  readonly findings?: FindingsSummary;
  /** Tool-call arguments; become tags of an Airlock::Arguments entity (values as strings). */
  readonly arguments?: Readonly<Record<string, unknown>>;
  readonly approval?: {
    readonly id: string;
    readonly approvers: readonly string[];
    readonly groups: readonly string[];
  };
  readonly breakGlass?: { readonly id: string; readonly reason: string; readonly expiresAt: number };
  readonly taskId?: string;
  readonly credential?: {
    readonly kind: string;
    readonly id?: string;
    readonly scopes?: { readonly models: readonly string[]; readonly endpoints: readonly string[] };
    readonly stepUp?: readonly string[];
  };
}

export interface DecisionRequest {
  readonly principal: PolicyEntity;
  readonly action: PolicyAction;
  readonly resource: PolicyEntity;
  readonly context?: DecisionContext;
  /** Other entities the policies may read: parents with attributes, the user an agent acts for. */
  readonly entities?: readonly PolicyEntity[];
}

/** Obligations from annotations on the permitting policies (`@approval`, `@stepup`, `@ttl`). */
export interface Obligations {
  /** Approver groups that must approve (all of them); empty when none. */
  readonly approval: readonly string[];
  /** Second factors the caller must have completed ("mfa"); empty when none. */
  readonly stepUp: readonly string[];
  /** Shortest `@ttl` among the permitting policies: how long the grant may be relied on. */
  readonly ttlMs?: number;
  /** Set when an active break-glass session waived an approval: the use must be reviewed. */
  readonly review?: boolean;
}

export type DecisionKind = 'allow' | 'deny' | 'needs-approval' | 'needs-step-up';

export interface Decision {
  readonly kind: DecisionKind;
  /** Ids (`@id`) of the policies that decided: the satisfied permits on allow, the satisfied forbids
   *  (or errored forbids) on deny; empty on a default deny. */
  readonly policies: readonly string[];
  /** One line each, safe for logs and audit (no attribute values). */
  readonly reasons: readonly string[];
  readonly obligations: Obligations;
  /** True when the engine answer came from the decision cache. */
  readonly cached: boolean;
}

export interface DecisionPoint {
  /** The policy version this decision point was compiled from (goes into every audit entry). */
  readonly version: string;
  /** Throws only on an engine failure (the stage fails closed); an unknown action is a deny. */
  decide(request: DecisionRequest): Decision;
  /** Discovery (P4): the candidates the principal may act on with `action` (allow or obtainable
   *  through approval / step-up), in candidate order. */
  listAllowed(
    principal: PolicyEntity,
    action: PolicyAction,
    candidates: readonly PolicyEntity[],
    context?: DecisionContext,
    entities?: readonly PolicyEntity[],
  ): PolicyEntity[];
  /** What the loaded policy set holds (ids per action), for `airlock policy` and diagnostics. */
  describe(): { version: string; policies: readonly string[]; actions: Record<string, readonly string[]> };
  readonly stats: { hits: number; misses: number; size: number };
}
