// The policy decision point on Cedar (P3). Built once per policy version: policies are validated
// and pre-parsed per action slice at construction, so a broken policy stops start-up and a decision
// evaluates only the policies that can apply to its action. Default deny; forbid overrides permit;
// a forbid that fails to evaluate denies (fail closed: an erroring guard must not become a hole).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CedarValueJson, EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
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
  if (want('findings')) out.findings = sortedSet(ctx?.findings);
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
    const res = cedar.statefulIsAuthorized({
      principal,
      action,
      resource,
      context,
      preparsedPolicySetId: setId,
      entities,
    });
    if (res.type !== 'success')
      throw new AirlockError('policy_unavailable', {
        detail: `cedar: ${res.errors.map((e) => e.message).join('; ')}`,
      });
    const answer: EngineAnswer = {
      allow: res.response.decision === 'allow',
      reasons: res.response.diagnostics.reason,
      errored: res.response.diagnostics.errors.map((e) => e.policyId),
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
