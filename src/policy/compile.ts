// Policy compilation, once per version: parse, require an @id per policy, validate strictly against
// the airlock schema, read obligations from annotations, and slice the set per action so one
// decision evaluates only the policies that can apply to it. Any error stops start-up with the
// Cedar message, the policy id and its file:line:column.
import { readFileSync } from 'node:fs';
import type { DetailedError, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { durationMs } from '../config/duration.ts';
import { AirlockError } from '../errors.ts';
import { analyzeReferences, mergeReferences, type References } from './references.ts';
import type { PolicyFamily } from './types.ts';

export const NAMESPACE = 'Airlock';
export const ACTION_TYPE = `${NAMESPACE}::Action`;

export interface PolicySource {
  /** File path or a label such as `config:policy.policies`; used in error positions. */
  readonly name: string;
  readonly text: string;
}

export interface CompiledPolicy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  readonly text: string;
  readonly json: PolicyJson;
  readonly source: string;
  readonly line: number;
  readonly approval: readonly string[];
  readonly stepUp: readonly string[];
  readonly ttlMs?: number;
}

export interface Slice {
  readonly action: string;
  readonly family: PolicyFamily | undefined;
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
  readonly policies: readonly CompiledPolicy[];
  /** The policies as handed to Cedar for this action (see liftForSlice). */
  readonly engineForm: Readonly<Record<string, PolicyJson>>;
  readonly refs: References;
  /** Every action group the action belongs to (transitively): its parents when policies use `in`. */
  readonly groups: readonly string[];
}

export interface CompiledPolicySet {
  readonly schema: string;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  /** Leaf actions of the schema → the policies that can apply to them. */
  readonly slices: ReadonlyMap<string, Slice>;
  readonly warnings: readonly string[];
}

export function loadSchemaText(): string {
  return readFileSync(new URL('./schema.cedarschema', import.meta.url), 'utf8');
}

export function defaultPolicySource(): PolicySource {
  const url = new URL('./default-policies.cedar', import.meta.url);
  return { name: url.pathname, text: readFileSync(url, 'utf8') };
}

function invalid(detail: string): AirlockError {
  return new AirlockError('config_invalid', { detail: `policy: ${detail}` });
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return { line, column: offset - lineStart + 1 };
}

function describeError(e: DetailedError, source: PolicySource, base: number): string {
  const loc = e.sourceLocations?.[0];
  const where = loc ? position(source.text, base + loc.start) : undefined;
  const at = where ? `${source.name}:${where.line}:${where.column}` : source.name;
  const label = loc?.label ? ` (${loc.label})` : '';
  const help = e.help ? `; ${e.help}` : '';
  return `${at}: ${e.message}${label}${help}`;
}

interface ActionInfo {
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
  readonly groups: readonly string[];
}

/** Context keys that carry the principal's and resource's attributes to the engine. */
export const PRINCIPAL_KEY = '__principal';
export const RESOURCE_KEY = '__resource';

function liftExpr(e: unknown): unknown {
  if (e === null || typeof e !== 'object') return e;
  if (Array.isArray(e)) return e.map(liftExpr);
  const node = e as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === '.' || k === 'has') && v && typeof v === 'object') {
      const access = v as { left: { Var?: string } };
      const key =
        access.left?.Var === 'principal'
          ? PRINCIPAL_KEY
          : access.left?.Var === 'resource'
            ? RESOURCE_KEY
            : undefined;
      if (key) {
        out[k] = { ...(v as object), left: { '.': { left: { Var: 'context' }, attr: key } } };
        continue;
      }
    }
    out[k] = liftExpr(v);
  }
  return out;
}

/** The form Cedar evaluates for one action's slice, equivalent for every request with that action:
 *  the action scope (already resolved by slicing) becomes `action` (any), and attribute reads on
 *  principal and resource read the same values from two context records. Entities cost the WASM
 *  engine far more to ingest than records (bench/policy-decide.ts), so a request then usually needs
 *  no entities at all; group membership (`principal in Role::"x"`) still travels as entities. */
function liftForSlice(p: PolicyJson): PolicyJson {
  return {
    ...p,
    action: { op: 'All' },
    conditions: p.conditions.map((c) => ({ kind: c.kind, body: liftExpr(c.body) as typeof c.body })),
  };
}

function schemaActions(schema: string): Map<string, ActionInfo> {
  const parsed = cedar.schemaToJson(schema);
  if (parsed.type !== 'success') throw invalid(`schema: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const ns = parsed.json[NAMESPACE];
  if (!ns) throw invalid(`schema has no ${NAMESPACE} namespace`);
  const actions = new Map<string, ActionInfo>();
  for (const [name, a] of Object.entries(ns.actions)) {
    const resourceTypes = (a.appliesTo?.resourceTypes ?? []).map((t) => `${NAMESPACE}::${t}`);
    const principalTypes = (a.appliesTo?.principalTypes ?? []).map((t) => `${NAMESPACE}::${t}`);
    actions.set(name, { principalTypes, resourceTypes, groups: (a.memberOf ?? []).map((m) => m.id) });
  }
  return actions;
}

const families: readonly PolicyFamily[] = ['models', 'tools', 'apis', 'admin'];

/** Every group an action belongs to, following nested groups. */
function ancestors(name: string, actions: Map<string, ActionInfo>): Set<string> {
  const groups = new Set<string>();
  const pending = [...(actions.get(name)?.groups ?? [])];
  while (pending.length > 0) {
    const g = pending.pop()!;
    if (groups.has(g)) continue;
    groups.add(g);
    pending.push(...(actions.get(g)?.groups ?? []));
  }
  return groups;
}

/** The leaf actions a policy's scope can match. Exact (never narrower than Cedar's own matching):
 *  a policy left out of a slice is a policy that could not apply to that action. */
function actionsOf(p: PolicyJson, actions: Map<string, ActionInfo>): string[] {
  const leaves = [...actions].filter(([, a]) => a.resourceTypes.length > 0).map(([n]) => n);
  const idOf = (e: unknown): string | undefined => {
    const uid = (e as { __entity?: { id: string } }).__entity ?? (e as { id?: string });
    return uid?.id;
  };
  const expand = (name: string | undefined): string[] =>
    name === undefined
      ? leaves
      : actions.get(name)?.resourceTypes.length
        ? [name]
        : leaves.filter((l) => ancestors(l, actions).has(name));
  const c = p.action;
  let matched: string[];
  if (c.op === 'All') matched = leaves;
  else if (c.op === '==') {
    // Equality, not membership: a group name never equals a request's action.
    const id = 'entity' in c ? idOf(c.entity) : undefined;
    matched = id !== undefined && actions.get(id)?.resourceTypes.length ? [id] : [];
  } else if ('entity' in c) matched = expand(idOf(c.entity));
  else matched = [...new Set(c.entities.flatMap((e) => expand(idOf(e))))];
  // A resource constraint naming one type narrows the actions further.
  const r = p.resource;
  const rType =
    r.op === 'is'
      ? r.entity_type
      : r.op === '==' && 'entity' in r
        ? ((r.entity as { __entity?: { type: string } }).__entity?.type ??
          (r.entity as { type?: string }).type)
        : undefined;
  if (rType === undefined) return matched;
  const full = rType.includes('::') ? rType : `${NAMESPACE}::${rType}`;
  return matched.filter((a) => actions.get(a)?.resourceTypes.includes(full));
}

function annotationList(value: string | undefined): string[] {
  return value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

/** Parses, validates and slices. Throws AirlockError('config_invalid') naming the policy and position. */
export function compilePolicies(
  sources: readonly PolicySource[],
  schema = loadSchemaText(),
): CompiledPolicySet {
  const schemaCheck = cedar.checkParseSchema(schema);
  if (schemaCheck.type !== 'success')
    throw invalid(`schema: ${schemaCheck.errors.map((e) => e.message).join('; ')}`);
  const actions = schemaActions(schema);
  const policies = new Map<string, CompiledPolicy>();
  const offsets = new Map<string, { source: PolicySource; start: number }>();

  for (const source of sources) {
    const parsed = cedar.checkParsePolicySet({ staticPolicies: source.text });
    if (parsed.type !== 'success') throw invalid(describeError(parsed.errors[0]!, source, 0));
    const parts = cedar.policySetTextToParts(source.text);
    if (parts.type !== 'success') throw invalid(describeError(parts.errors[0]!, source, 0));
    if (parts.policy_templates.length > 0)
      throw invalid(`${source.name}: policy templates are not supported yet`);
    for (const raw of parts.policies) {
      const text = raw.trim();
      const start = Math.max(0, source.text.indexOf(text));
      const at = position(source.text, start);
      const json = cedar.policyToJson(text);
      if (json.type !== 'success') throw invalid(describeError(json.errors[0]!, source, start));
      const ann = json.json.annotations ?? {};
      const id = ann.id;
      if (!id) throw invalid(`${source.name}:${at.line}:${at.column}: policy has no @id("…") annotation`);
      const prior = policies.get(id);
      if (prior)
        throw invalid(
          `${source.name}:${at.line}:${at.column}: duplicate policy id "${id}" (first at ${prior.source}:${prior.line})`,
        );
      let ttlMs: number | undefined;
      if (ann.ttl !== undefined) {
        if (!/^\d+(ms|s|m|h|d)$/.test(ann.ttl))
          throw invalid(
            `${source.name}:${at.line}:${at.column}: policy "${id}": @ttl("${ann.ttl}") is not a duration such as 15m`,
          );
        ttlMs = durationMs(ann.ttl);
      }
      const stepUp = annotationList(ann.stepup);
      const approval = annotationList(ann.approval);
      if ((stepUp.length || approval.length || ttlMs !== undefined) && json.json.effect === 'forbid')
        throw invalid(
          `${source.name}:${at.line}:${at.column}: policy "${id}": obligations belong on permit policies`,
        );
      policies.set(id, {
        id,
        effect: json.json.effect,
        text,
        json: json.json,
        source: source.name,
        line: at.line,
        approval,
        stepUp,
        ttlMs,
      });
      offsets.set(id, { source, start });
    }
  }

  const all: Record<string, string> = {};
  for (const p of policies.values()) all[p.id] = p.text;
  const validation = cedar.validate({
    schema,
    policies: { staticPolicies: all },
    validationSettings: { mode: 'strict' },
  });
  if (validation.type !== 'success') throw invalid(validation.errors.map((e) => e.message).join('; '));
  const located = (policyId: string, e: DetailedError): string => {
    const o = offsets.get(policyId);
    return o ? `policy "${policyId}" at ${describeError(e, o.source, o.start)}` : `${policyId}: ${e.message}`;
  };
  const first = validation.validationErrors[0];
  if (first) throw invalid(located(first.policyId, first.error));
  const warnings = validation.validationWarnings.map((w) => located(w.policyId, w.error));

  const byAction = new Map<string, CompiledPolicy[]>();
  for (const p of policies.values())
    for (const a of actionsOf(p.json, actions)) {
      const list = byAction.get(a) ?? [];
      list.push(p);
      byAction.set(a, list);
    }
  const slices = new Map<string, Slice>();
  for (const [name, info] of actions) {
    if (info.resourceTypes.length === 0) continue;
    const list = byAction.get(name) ?? [];
    const groups = ancestors(name, actions);
    const family = families.find((f) => groups.has(f));
    const engineForm: Record<string, PolicyJson> = {};
    for (const p of list) engineForm[p.id] = liftForSlice(p.json);
    slices.set(name, {
      action: name,
      family,
      principalTypes: info.principalTypes,
      resourceTypes: info.resourceTypes,
      policies: list,
      engineForm,
      refs: mergeReferences(Object.values(engineForm).map(analyzeReferences)),
      groups: [...groups],
    });
  }
  return { schema, policies, slices, warnings };
}
