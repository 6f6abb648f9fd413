// The policy decision point on Cedar (P3). Built once per policy version: policies are validated
// and pre-parsed per action slice at construction, so a broken policy stops start-up; within a
// slice, policy-index.ts picks the policies whose constants can match the request, so a decision
// evaluates tens, not hundreds, of policies (subsets are pre-parsed on first use, bounded). Default deny; forbid overrides permit;
// a forbid that fails to evaluate denies (fail closed: an erroring guard must not become a hole).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CedarValueJson, EntityJson, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { AirlockError } from '../errors.ts';
import {
  ACTION_TYPE,
  type CompiledPolicySet,
  compilePolicies,
  NAMESPACE,
  type PolicySource,
  PRINCIPAL_KEY,
  RESOURCE_KEY,
  type Slice,
} from './compile.ts';
import { createDecisionCache } from './decision-cache.ts';
import { findingsContext } from './findings-context.ts';
import { createPolicyIndex, type PolicyIndex } from './policy-index.ts';
import type { References } from './references.ts';
import type {
  Decision,
  DecisionContext,
  DecisionPoint,
  DecisionRequest,
  EntityRef,
  Obligations,
  PolicyAction,
  PolicyEntity,
} from './types.ts';

export interface CedarDecisionPointConfig {
  /** Cedar policy text (may be empty when policyFiles are given). */
  readonly policies: string;
  readonly policyFiles?: readonly string[];
  /** Names this policy set in decisions and audit entries; a new version gets a new cache. */
  readonly version: string;
  /** Engine answers kept (LRU); 0 turns the cache off. */
  readonly cacheSize?: number;
  /** Hand Cedar only the policies whose constants can match the request (policy-index.ts).
   *  Default true; false evaluates the whole action slice (the reference the index is tested against). */
  readonly index?: boolean;
  /** Distinct indexed policy subsets pre-parsed per version (the engine cannot free them); past
   *  this a request falls back to its whole slice. Default 4096. */
  readonly maxIndexedSets?: number;
}

export interface CedarDecisionPointDeps {
  /** Epoch milliseconds; tests pin it. */
  readonly now?: () => number;
  readonly readFile?: (path: string) => string;
}

/** What the engine said, before obligations: cached per projected request. */
interface EngineAnswer {
  readonly allow: boolean;
  readonly reasons: readonly string[];
  readonly errored: readonly string[];
}

const NO_OBLIGATIONS: Obligations = Object.freeze({ approval: [], stepUp: [] });
const DEFAULT_DENY: EngineAnswer = Object.freeze({ allow: false, reasons: [], errored: [] });

export function qualify(type: string): string {
  return type.includes('::') ? type : `${NAMESPACE}::${type}`;
}

function uid(ref: EntityRef): { type: string; id: string } {
  return { type: qualify(ref.type), id: ref.id };
}

function tagValue(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
}

function sortedSet(values: readonly string[] | undefined): string[] {
  return values ? [...new Set(values)].sort() : [];
}

/** The Cedar context for one slice: only the fields its policies read. */
function cedarContext(
  ctx: DecisionContext | undefined,
  refs: References,
  nowMs: number,
  extra: EntityJson[],
): Record<string, CedarValueJson> {
  const out: Record<string, CedarValueJson> = {};
  const want = (k: string) => refs.context === 'all' || refs.context.has(k);
  const now = ctx?.now ?? nowMs;
  if (want('time')) out.time = Math.floor(now / 1000);
  if (want('hourOfDay')) out.hourOfDay = new Date(now).getUTCHours();
  if (want('dayOfWeek')) out.dayOfWeek = new Date(now).getUTCDay();
  if (want('stream')) out.stream = ctx?.stream ?? false;
  if (want('findings')) out.findings = findingsContext(ctx?.findings, refs);
  if (!ctx) return out;
  if (want('clientAddress') && ctx.clientAddress && isIP(ctx.clientAddress) !== 0)
    out.clientAddress = { __extn: { fn: 'ip', arg: ctx.clientAddress } };
  if (want('zone') && ctx.zone !== undefined) out.zone = ctx.zone;
  if (want('taskId') && ctx.taskId !== undefined) out.taskId = ctx.taskId;
  if (want('tokenEstimate') && ctx.tokenEstimate !== undefined)
    out.tokenEstimate = Math.max(0, Math.trunc(ctx.tokenEstimate));
  if (want('arguments') && ctx.arguments) {
    const tags: Record<string, CedarValueJson> = {};
    for (const [k, v] of Object.entries(ctx.arguments)) tags[k] = tagValue(v);
    const ref = { type: `${NAMESPACE}::Arguments`, id: 'request' };
    extra.push({ uid: ref, attrs: {}, parents: [], tags });
    out.arguments = { __entity: ref };
  }
  if (want('approval') && ctx.approval)
    out.approval = {
      id: ctx.approval.id,
      approvers: sortedSet(ctx.approval.approvers),
      groups: sortedSet(ctx.approval.groups),
    };
  if (want('breakGlass') && ctx.breakGlass)
    out.breakGlass = {
      id: ctx.breakGlass.id,
      reason: ctx.breakGlass.reason,
      expiresAt: Math.floor(ctx.breakGlass.expiresAt / 1000),
    };
  if (want('credential') && ctx.credential) {
    const c = ctx.credential;
    const cred: Record<string, CedarValueJson> = { kind: c.kind };
    if (c.id !== undefined) cred.id = c.id;
    if (c.scopes) cred.scopes = { models: [...c.scopes.models], endpoints: [...c.scopes.endpoints] };
    if (c.stepUp) cred.stepUp = sortedSet(c.stepUp);
    out.credential = cred;
  }
  return out;
}

/** The attributes of an entity the slice's policies read (lifted into the context by compile.ts). */
function projectAttrs(e: PolicyEntity, refs: References): Record<string, CedarValueJson> {
  const attrs: Record<string, CedarValueJson> = {};
  if (e.attrs) for (const [k, v] of Object.entries(e.attrs)) if (refs.attrs.has(k)) attrs[k] = v;
  return attrs;
}

/** The entity itself, only when group membership or tags can matter to this slice. */
function hierarchyEntity(e: PolicyEntity, refs: References): EntityJson | undefined {
  const parents = (e.parents ?? []).map(uid);
  const tags = refs.tags && e.tags ? { ...e.tags } : undefined;
  if (parents.length === 0 && !tags) return undefined;
  return tags ? { uid: uid(e), attrs: {}, parents, tags } : { uid: uid(e), attrs: {}, parents };
}

function fullEntity(e: PolicyEntity): EntityJson {
  const out: EntityJson = { uid: uid(e), attrs: { ...(e.attrs ?? {}) }, parents: (e.parents ?? []).map(uid) };
  if (e.tags) out.tags = { ...e.tags };
  return out;
}

export function createCedarDecisionPoint(
  config: CedarDecisionPointConfig,
  deps: CedarDecisionPointDeps = {},
): DecisionPoint & { readonly compiled: CompiledPolicySet } {
  const now = deps.now ?? Date.now;
  const read = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const sources: PolicySource[] = [];
  if (config.policies.trim() !== '') sources.push({ name: 'policy.policies', text: config.policies });
  for (const file of config.policyFiles ?? []) sources.push({ name: file, text: read(file) });
  const compiled = compilePolicies(sources);

  // Pre-parse each slice once; ids are unique per instance so two versions never collide.
  const prefix = `airlock/${config.version}/${randomUUID()}`;
  const sliceIds = new Map<string, string>();
  for (const slice of compiled.slices.values()) {
    if (slice.policies.length === 0) continue;
    const id = `${prefix}/${slice.action}`;
    const r = cedar.preparsePolicySet(id, { staticPolicies: { ...slice.engineForm } });
    if (r.type !== 'success')
      throw new AirlockError('config_invalid', {
        detail: `policy: slice ${slice.action}: ${r.errors.map((e) => e.message).join('; ')}`,
      });
    sliceIds.set(slice.action, id);
  }

  // Per-slice policy indexes and the subsets pre-parsed so far (keyed by the selection signature).
  const indexes = new Map<string, PolicyIndex>();
  if (config.index !== false)
    for (const slice of compiled.slices.values()) {
      const index = createPolicyIndex(slice.policies.map((p) => p.json));
      if (index.indexed > 0) indexes.set(slice.action, index);
    }
  const subsets = new Map<string, string | null>();
  const maxSubsets = config.maxIndexedSets ?? 4096;

  /** The pre-parsed set holding exactly `members` of the slice; null when none can apply. */
  function subsetId(slice: Slice, signature: string, members: readonly number[]): string | null {
    const key = `${slice.action}\n${signature}`;
    const known = subsets.get(key);
    if (known !== undefined) return known;
    if (members.length === 0) {
      subsets.set(key, null);
      return null;
    }
    if (subsets.size >= maxSubsets) return sliceIds.get(slice.action)!;
    const id = `${prefix}/${slice.action}/${subsets.size}`;
    const staticPolicies: Record<string, PolicyJson> = {};
    for (const i of members) {
      const p = slice.policies[i]!;
      staticPolicies[p.id] = slice.engineForm[p.id]!;
    }
    const r = cedar.preparsePolicySet(id, { staticPolicies });
    if (r.type !== 'success')
      throw new AirlockError('policy_unavailable', {
        detail: `cedar: ${r.errors.map((e) => e.message).join('; ')}`,
      });
    subsets.set(key, id);
    return id;
  }

  const cache = createDecisionCache<EngineAnswer>(config.cacheSize ?? 10_000);
  const stats = { hits: 0, misses: 0 };

  function evaluate(
    slice: Slice,
    setId: string,
    request: DecisionRequest,
    nowMs: number,
  ): { answer: EngineAnswer; cached: boolean } {
    const refs = slice.refs;
    const entities: EntityJson[] = [];
    const p = hierarchyEntity(request.principal, refs);
    if (p) entities.push(p);
    const r = hierarchyEntity(request.resource, refs);
    if (r) entities.push(r);
    for (const e of request.entities ?? []) entities.push(fullEntity(e));
    const action = { type: ACTION_TYPE, id: slice.action };
    // Cedar learns action groups from entities; only pay for it when a condition reads `action`.
    if (refs.action && slice.groups.length > 0)
      entities.push({
        uid: action,
        attrs: {},
        parents: slice.groups.map((g) => ({ type: ACTION_TYPE, id: g })),
      });
    const context = cedarContext(request.context, refs, nowMs, entities);
    const all = refs.context === 'all';
    if (all || refs.context.has(PRINCIPAL_KEY))
      context[PRINCIPAL_KEY] = projectAttrs(request.principal, refs);
    if (all || refs.context.has(RESOURCE_KEY)) context[RESOURCE_KEY] = projectAttrs(request.resource, refs);
    const principal = uid(request.principal);
    const resource = uid(request.resource);
    const key = JSON.stringify([slice.action, principal, resource, entities, context]);
    const hit = cache.get(key);
    if (hit) {
      stats.hits++;
      return { answer: hit, cached: true };
    }
    stats.misses++;
    const index = indexes.get(slice.action);
    let engineSet: string | null = setId;
    if (index) {
      const { signature, members } = index.select({
        principal: request.principal,
        resource: request.resource,
        entities: request.entities,
        context,
      });
      if (members.length < slice.policies.length) engineSet = subsetId(slice, signature, members);
    }
    if (engineSet === null) {
      // No policy of the slice can match: Cedar's answer would be a default deny.
      cache.set(key, DEFAULT_DENY);
      return { answer: DEFAULT_DENY, cached: false };
    }
    const res = cedar.statefulIsAuthorized({
      principal,
      action,
      resource,
      context,
      preparsedPolicySetId: engineSet,
      entities,
    });
    if (res.type !== 'success')
      throw new AirlockError('policy_unavailable', {
        detail: `cedar: ${res.errors.map((e) => e.message).join('; ')}`,
      });
    const answer: EngineAnswer = {
      allow: res.response.decision === 'allow',
      // Sorted: the engine's order is not part of its contract, and audit entries should not vary.
      reasons: [...res.response.diagnostics.reason].sort(),
      errored: res.response.diagnostics.errors.map((e) => e.policyId).sort(),
    };
    cache.set(key, answer);
    return { answer, cached: false };
  }

  function finish(answer: EngineAnswer, request: DecisionRequest, nowMs: number, cached: boolean): Decision {
    const failedForbids = answer.errored.filter((id) => compiled.policies.get(id)?.effect === 'forbid');
    const errorNote = answer.errored.map((id) => `policy ${id} could not be evaluated`);
    if (failedForbids.length > 0)
      return {
        kind: 'deny',
        policies: failedForbids,
        reasons: [...errorNote, 'a forbid policy failed to evaluate: fail closed'],
        obligations: NO_OBLIGATIONS,
        cached,
      };
    if (!answer.allow)
      return {
        kind: 'deny',
        policies: answer.reasons,
        reasons:
          answer.reasons.length > 0
            ? [...errorNote, `forbidden by ${answer.reasons.join(', ')}`]
            : [...errorNote, 'no permit policy applies (default deny)'],
        obligations: NO_OBLIGATIONS,
        cached,
      };
    const approval = new Set<string>();
    const stepUp = new Set<string>();
    let ttlMs: number | undefined;
    for (const id of answer.reasons) {
      const p = compiled.policies.get(id);
      if (!p) continue;
      for (const a of p.approval) approval.add(a);
      for (const s of p.stepUp) stepUp.add(s);
      if (p.ttlMs !== undefined) ttlMs = ttlMs === undefined ? p.ttlMs : Math.min(ttlMs, p.ttlMs);
    }
    const ctx = request.context;
    const nowSec = Math.floor((ctx?.now ?? nowMs) / 1000);
    const completed = new Set(ctx?.credential?.stepUp ?? []);
    const missingStepUp = [...stepUp].filter((s) => !completed.has(s));
    const granted = new Set(ctx?.approval?.groups ?? []);
    const missingApproval = [...approval].filter((g) => !granted.has(g));
    // Break-glass waives approvals (never step-up) and marks the use for mandatory review (P8).
    const breakGlass =
      ctx?.breakGlass !== undefined &&
      Math.floor(ctx.breakGlass.expiresAt / 1000) > nowSec &&
      missingApproval.length > 0;
    const obligations: Obligations = {
      approval: [...approval],
      stepUp: [...stepUp],
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      ...(breakGlass ? { review: true } : {}),
    };
    const reasons = [...errorNote, `permitted by ${answer.reasons.join(', ')}`];
    if (missingStepUp.length > 0)
      return {
        kind: 'needs-step-up',
        policies: answer.reasons,
        reasons: [...reasons, `step-up required: ${missingStepUp.join(', ')}`],
        obligations,
        cached,
      };
    if (missingApproval.length > 0 && !breakGlass)
      return {
        kind: 'needs-approval',
        policies: answer.reasons,
        reasons: [...reasons, `approval required: ${missingApproval.join(', ')}`],
        obligations,
        cached,
      };
    if (breakGlass) reasons.push('approval waived by break-glass; review required');
    return { kind: 'allow', policies: answer.reasons, reasons, obligations, cached };
  }

  function decide(request: DecisionRequest): Decision {
    const slice = compiled.slices.get(request.action);
    if (!slice)
      return {
        kind: 'deny',
        policies: [],
        reasons: [`unknown action ${request.action}`],
        obligations: NO_OBLIGATIONS,
        cached: false,
      };
    const setId = sliceIds.get(request.action);
    if (!setId)
      return {
        kind: 'deny',
        policies: [],
        reasons: ['no permit policy applies (default deny)'],
        obligations: NO_OBLIGATIONS,
        cached: false,
      };
    const pType = qualify(request.principal.type);
    const rType = qualify(request.resource.type);
    if (!slice.principalTypes.includes(pType) || !slice.resourceTypes.includes(rType))
      return {
        kind: 'deny',
        policies: [],
        reasons: [`${pType} on ${rType} is not a valid request for ${request.action}`],
        obligations: NO_OBLIGATIONS,
        cached: false,
      };
    const nowMs = now();
    const { answer, cached } = evaluate(slice, setId, request, nowMs);
    return finish(answer, request, nowMs, cached);
  }

  return {
    version: config.version,
    compiled,
    decide,
    listAllowed(principal, action: PolicyAction, candidates, context, entities) {
      return candidates.filter(
        (resource) => decide({ principal, action, resource, context, entities }).kind !== 'deny',
      );
    },
    describe() {
      const actions: Record<string, readonly string[]> = {};
      for (const s of compiled.slices.values()) actions[s.action] = s.policies.map((p) => p.id);
      return { version: config.version, policies: [...compiled.policies.keys()], actions };
    },
    get stats() {
      return { hits: stats.hits, misses: stats.misses, size: cache.size };
    },
  };
}
