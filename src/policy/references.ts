// What a set of policies reads, computed once at load from the policies' JSON form. The decision
// point hands Cedar (and keys its cache on) only these inputs: context fields named by the policies,
// entity attributes named by them, and tags only when a policy reads tags. Conservative by design:
// an attribute name read anywhere is kept on every entity, so a projection never hides an input.
import type { Expr, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';

export interface References {
  /** Context fields read (`context.x`, `context has x`), or 'all' when the whole record is used. */
  readonly context: ReadonlySet<string> | 'all';
  /** Attribute names read through `.` or `has` on anything but the context record. */
  readonly attrs: ReadonlySet<string>;
  /** Whether any policy calls getTag / hasTag. */
  readonly tags: boolean;
  /** Whether the action's group membership can matter (`action in …` in scope or conditions). */
  readonly action: boolean;
  /** Per record-valued context field, the attributes read from it (`context.findings.types` →
   *  findings: {types}), or 'all' when the field is used as a whole value. A field read only with
   *  `has` has an empty set. Lets the decision point hand Cedar (and key its cache on) only those. */
  readonly contextAttrs: ReadonlyMap<string, ReadonlySet<string> | 'all'>;
}

type Walker = {
  context: Set<string> | 'all';
  attrs: Set<string>;
  tags: boolean;
  action: boolean;
  contextAttrs: Map<string, Set<string> | 'all'>;
};

function readFrom(w: Walker, field: string, attr: string | undefined): void {
  if (w.context !== 'all') w.context.add(field);
  const have = w.contextAttrs.get(field);
  if (have === 'all') return;
  if (attr === 'all') {
    w.contextAttrs.set(field, 'all');
    return;
  }
  const set = have ?? new Set<string>();
  if (attr !== undefined) set.add(attr);
  w.contextAttrs.set(field, set);
}

function isContext(e: Expr): boolean {
  return (e as { Var?: string }).Var === 'context';
}

function walk(e: unknown, w: Walker): void {
  if (e === null || typeof e !== 'object') return;
  if (Array.isArray(e)) {
    for (const x of e) walk(x, w);
    return;
  }
  const node = e as Record<string, unknown>;
  if ((node as { Var?: string }).Var === 'context') {
    // Reached only when `context` is used as a whole value (attribute access returns early below).
    w.context = 'all';
    return;
  }
  if ('Value' in node) return;
  if ((node as { Var?: string }).Var === 'action') {
    w.action = true;
    return;
  }
  const dot = node['.'] as { left: Expr; attr: string } | undefined;
  const has = node.has as { left: Expr; attr: string | string[] } | undefined;
  const access = dot ?? has;
  if (access) {
    const names = Array.isArray(access.attr) ? access.attr : [access.attr];
    if (isContext(access.left)) {
      const first = names[0];
      // Deeper names are attributes of records or entities inside the context.
      for (const n of names.slice(1)) w.attrs.add(n);
      // `context.x` reached here is x used as a whole value; `context has x` only tests presence.
      if (first !== undefined) readFrom(w, first, names.length > 1 ? names[1] : dot ? 'all' : undefined);
      return;
    }
    for (const n of names) w.attrs.add(n);
    const inner = (access.left as { '.'?: { left: Expr; attr: string } })['.'];
    if (inner && isContext(inner.left)) {
      // `context.x.y` / `context.x has y`: x is read through its attribute y only.
      readFrom(w, inner.attr, names[0]);
      return;
    }
    walk(access.left, w);
    return;
  }
  if ('getTag' in node || 'hasTag' in node) w.tags = true;
  for (const v of Object.values(node)) walk(v, w);
}

export function analyzeReferences(policy: PolicyJson): References {
  const w: Walker = {
    context: new Set(),
    attrs: new Set(),
    tags: false,
    action: policy.action.op === 'in' || policy.action.op === '==',
    contextAttrs: new Map(),
  };
  for (const clause of policy.conditions) walk(clause.body, w);
  return w;
}

export function mergeReferences(list: readonly References[]): References {
  let context: Set<string> | 'all' = new Set();
  const attrs = new Set<string>();
  let tags = false;
  let action = false;
  const contextAttrs = new Map<string, Set<string> | 'all'>();
  for (const r of list) {
    for (const [field, read] of r.contextAttrs) {
      const have = contextAttrs.get(field);
      if (have === 'all') continue;
      if (read === 'all') contextAttrs.set(field, 'all');
      else contextAttrs.set(field, new Set([...(have ?? []), ...read]));
    }
    action ||= r.action;
    if (r.context === 'all' || context === 'all') context = 'all';
    else for (const k of r.context) context.add(k);
    for (const a of r.attrs) attrs.add(a);
    tags ||= r.tags;
  }
  return { context, attrs, tags, action, contextAttrs };
}
