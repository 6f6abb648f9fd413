// An index of one action slice's policies by the constants their scopes and first conditions test
// (`resource == Model::"x"`, `resource in Server::"y"`, `principal in Role::"r"`,
// `resource.alias == "x"`, `["a", "b"].contains(resource.alias)`, `context.zone == "z"`), so a
// decision hands Cedar only the policies that can match plus the unconstrained ones.
//
// Exactness: leaving a policy out must never change the answer, including its errors (an erroring
// forbid denies, fail closed). Cedar evaluates a policy as `scope && when₁ && …` with left-to-right
// short-circuit, so a policy is indexed only by a scope constraint (which never errors) or by the
// first testable leaf of its first `when` clause that follows only leaves that cannot error (`has`,
// `is`, entity `==` / `in`). When such a leaf is false, the policy is false without evaluating
// anything after it. A request whose value for a key is absent or not a primitive selects every
// policy under that key (the engine then decides, and raises the same error it always would).
// Over-selection is always safe; only under-selection could be wrong, and a randomized
// differential test (policy-index.test.ts) compares indexed and unindexed decisions.
import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { CedarValueJson, PolicyEntity } from './types.ts';

const NS = 'Airlock';

/** Where a policy's constant lives: `resource.uid`, `principal.in`, `resource.attr.alias`, `context.zone` … */
export interface IndexConstraint {
  readonly dimension: string;
  /** The request values (as index keys) under which the policy can match. */
  readonly keys: readonly string[];
}

/** What the decision point knows about a request when it picks policies. */
export interface IndexProbe {
  readonly principal: PolicyEntity;
  readonly resource: PolicyEntity;
  readonly entities?: readonly PolicyEntity[];
  /** The Cedar context record exactly as it will be handed to the engine. */
  readonly context: Readonly<Record<string, CedarValueJson>>;
}

export interface PolicySelection {
  /** Equal signatures select equal policy sets (the decision point keys its engine sets on it). */
  readonly signature: string;
  /** Indexes into the slice's policy list, ascending. */
  readonly members: readonly number[];
}

export interface PolicyIndex {
  /** How many policies carry an index constraint (the rest are evaluated on every request). */
  readonly indexed: number;
  select(probe: IndexProbe): PolicySelection;
}

function qualified(type: string): string {
  return type.includes('::') ? type : `${NS}::${type}`;
}

export function uidKey(type: string, id: string): string {
  return `${qualified(type)}::${JSON.stringify(id)}`;
}

function literalUid(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const e = ((v as { __entity?: unknown }).__entity ?? v) as { type?: unknown; id?: unknown };
  return typeof e.type === 'string' && typeof e.id === 'string' ? uidKey(e.type, e.id) : undefined;
}

function primitiveKey(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v))
    ? JSON.stringify(v)
    : undefined;
}

type Node = Record<string, unknown>;

function varName(e: unknown): string | undefined {
  const v = (e as { Var?: unknown } | null)?.Var;
  return typeof v === 'string' ? v : undefined;
}

/** `principal.attr` / `resource.attr` / `context.attr` → its dimension. */
function attrDimension(e: unknown): string | undefined {
  const dot = (e as { '.'?: { left: unknown; attr: string } } | null)?.['.'];
  if (!dot || typeof dot.attr !== 'string') return undefined;
  const v = varName(dot.left);
  if (v === 'principal' || v === 'resource') return `${v}.attr.${dot.attr}`;
  if (v === 'context') return `context.${dot.attr}`;
  return undefined;
}

function literalOf(e: unknown): unknown {
  return e !== null && typeof e === 'object' && 'Value' in e ? (e as { Value: unknown }).Value : undefined;
}

/** A leaf the index can use, or undefined. */
function leafConstraint(leaf: Node): IndexConstraint | undefined {
  const eq = leaf['=='] as { left: unknown; right: unknown } | undefined;
  if (eq) {
    for (const [a, b] of [
      [eq.left, eq.right],
      [eq.right, eq.left],
    ]) {
      const v = varName(a);
      if (v === 'principal' || v === 'resource') {
        const key = literalUid(literalOf(b));
        if (key) return { dimension: `${v}.uid`, keys: [key] };
      }
      const dim = attrDimension(a);
      const key = dim ? primitiveKey(literalOf(b)) : undefined;
      if (dim && key) return { dimension: dim, keys: [key] };
    }
    return undefined;
  }
  const member = leaf.in as { left: unknown; right: unknown } | undefined;
  if (member) {
    const v = varName(member.left);
    const key = literalUid(literalOf(member.right));
    if ((v === 'principal' || v === 'resource') && key) return { dimension: `${v}.in`, keys: [key] };
    return undefined;
  }
  const contains = leaf.contains as { left: unknown; right: unknown } | undefined;
  if (contains) {
    const set = (contains.left as { Set?: unknown[] } | null)?.Set;
    const dim = attrDimension(contains.right);
    if (!Array.isArray(set) || !dim) return undefined;
    const keys = set.map((x) => primitiveKey(literalOf(x)));
    if (keys.length === 0 || keys.some((k) => k === undefined)) return undefined;
    return { dimension: dim, keys: keys as string[] };
  }
  return undefined;
}

/** Leaves that can never raise an error, so a policy's evaluation reaches what follows them. */
function cannotError(leaf: Node): boolean {
  const has = leaf.has as { left: unknown } | undefined;
  if (has) return varName(has.left) !== undefined;
  const is = leaf.is as { left: unknown; in?: unknown } | undefined;
  if (is)
    return (
      varName(is.left) !== undefined && (is.in === undefined || literalUid(literalOf(is.in)) !== undefined)
    );
  const c = leafConstraint(leaf);
  return c !== undefined && (c.dimension.endsWith('.uid') || c.dimension.endsWith('.in'));
}

/** The left spine of `a && b && c` in evaluation order. */
function conjuncts(e: unknown): Node[] {
  const and = (e as { '&&'?: { left: unknown; right: unknown } } | null)?.['&&'];
  return and ? [...conjuncts(and.left), ...conjuncts(and.right)] : [e as Node];
}

function scopeConstraint(
  side: 'principal' | 'resource',
  c: PolicyJson['principal'],
): IndexConstraint | undefined {
  const op = (c as { op: string }).op;
  if (op === '==') {
    const key = literalUid((c as { entity?: unknown }).entity);
    return key ? { dimension: `${side}.uid`, keys: [key] } : undefined;
  }
  const target =
    op === 'in'
      ? (c as { entity?: unknown }).entity
      : op === 'is'
        ? (c as { in?: { entity?: unknown } }).in?.entity
        : undefined;
  const key = literalUid(target);
  return key ? { dimension: `${side}.in`, keys: [key] } : undefined;
}

/** The constraint a policy is indexed under, or undefined when it must be evaluated on every request. */
export function indexConstraint(policy: PolicyJson): IndexConstraint | undefined {
  const scoped =
    scopeConstraint('resource', policy.resource) ?? scopeConstraint('principal', policy.principal);
  if (scoped) return scoped;
  const first = policy.conditions[0];
  if (first?.kind !== 'when') return undefined;
  for (const leaf of conjuncts(first.body)) {
    const c = leafConstraint(leaf);
    if (c) return c;
    if (!cannotError(leaf)) return undefined;
  }
  return undefined;
}

/** The entity and every ancestor named by the request (the same hierarchy Cedar is given). */
function lineage(start: PolicyEntity, probe: IndexProbe): string[] {
  const parents = new Map<string, string[]>();
  const add = (e: PolicyEntity) => {
    const k = uidKey(e.type, e.id);
    const list = parents.get(k) ?? [];
    for (const p of e.parents ?? []) list.push(uidKey(p.type, p.id));
    parents.set(k, list);
  };
  add(probe.principal);
  add(probe.resource);
  for (const e of probe.entities ?? []) add(e);
  const seen = new Set<string>();
  const pending = [uidKey(start.type, start.id)];
  while (pending.length > 0) {
    const k = pending.pop()!;
    if (seen.has(k)) continue;
    seen.add(k);
    pending.push(...(parents.get(k) ?? []));
  }
  return [...seen];
}

/** The request's keys for a dimension; undefined when unknown (select every policy under it). */
function requestKeys(dimension: string, probe: IndexProbe): string[] | undefined {
  // Attribute names may contain dots (`context["a.b"]`): split only the fixed prefix off.
  if (dimension.startsWith('context.')) return wrap(primitiveKey(own(probe.context, dimension.slice(8))));
  const side = dimension.startsWith('principal.') ? 'principal' : 'resource';
  const kind = dimension.slice(side.length + 1);
  const entity = side === 'principal' ? probe.principal : probe.resource;
  if (kind === 'uid') return [uidKey(entity.type, entity.id)];
  if (kind === 'in') return lineage(entity, probe);
  return wrap(primitiveKey(own(entity.attrs, kind.slice('attr.'.length))));
}

/** An own property only: `__proto__` or `toString` must not read through to Object.prototype. */
function own(record: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function wrap(key: string | undefined): string[] | undefined {
  return key === undefined ? undefined : [key];
}

export function createPolicyIndex(policies: readonly PolicyJson[]): PolicyIndex {
  const always: number[] = [];
  const dimensions = new Map<string, Map<string, number[]>>();
  policies.forEach((p, i) => {
    const c = indexConstraint(p);
    if (!c) {
      always.push(i);
      return;
    }
    const byKey = dimensions.get(c.dimension) ?? new Map<string, number[]>();
    for (const key of new Set(c.keys)) {
      const list = byKey.get(key) ?? [];
      list.push(i);
      byKey.set(key, list);
    }
    dimensions.set(c.dimension, byKey);
  });
  const dims = [...dimensions].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    indexed: policies.length - always.length,
    select(probe) {
      const members = new Set(always);
      const parts: string[] = [];
      for (const [dimension, byKey] of dims) {
        const keys = requestKeys(dimension, probe);
        if (keys === undefined) {
          for (const list of byKey.values()) for (const i of list) members.add(i);
          parts.push(`${dimension}=*`);
          continue;
        }
        const hits = keys.filter((k) => byKey.has(k)).sort();
        for (const k of hits) for (const i of byKey.get(k)!) members.add(i);
        parts.push(`${dimension}=${JSON.stringify(hits)}`);
      }
      return { signature: parts.join('|'), members: [...members].sort((a, b) => a - b) };
    },
  };
}
