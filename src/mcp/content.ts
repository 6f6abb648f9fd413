// prompts/list, prompts/get, resources/list, resources/templates/list and resources/read on /mcp,
// through the same pipeline as tools (P3, P4, P6, P9):
//   list methods:  authorize = read every server's list, keep what the caller may use (P4)
//   prompts/get:   resolve → authorize (prompts/get, the prompt's arguments as context) → DLP on the
//                  arguments → forward → DLP on the messages
//   resources/read: resolve → authorize (resources/read on the server's own URI) → forward → DLP on
//                  the contents
// A prompt or resource the caller may not use looks unknown (mcp_content_not_found: no probing).
// A listed entry needs both the list action and the use action (prompts/list and prompts/get;
// resources/list and resources/read), so discovery never shows what cannot be used.
import type { Actions } from '../dlp/actions.ts';
import type { DlpEngine } from '../dlp/engine.ts';
import { AirlockError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import type { Stage } from '../http/pipeline.ts';
import { dlpBlockedError, recordFindings } from '../http/stages/inspect.ts';
import { type ContentCatalog, type ContentTarget, hasDotSegments } from './content-catalog.ts';
import { scanContent } from './content-inspect.ts';
import { mcpOf } from './stages.ts';
import type { ToolDecision } from './types.ts';

export type ContentAction = 'prompts/list' | 'prompts/get' | 'resources/list' | 'resources/read';

/** What the caller asks to do with a prompt or resource, as the decision point sees it. */
export interface ContentAuthorizationRequest {
  readonly action: ContentAction;
  readonly kind: 'Prompt' | 'Resource';
  /** Namespaced prompt name, or the exposed `airlock://server/…` URI. */
  readonly id: string;
  readonly server: string;
  /** The server's own prompt name or URI (what policies test). */
  readonly upstreamId: string;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** MUST be default-deny; throwing means the engine failed (the call fails closed). */
export type AuthorizeContent = (
  ctx: RequestContext,
  request: ContentAuthorizationRequest,
) => ToolDecision | Promise<ToolDecision>;

export const CONTENT_METHODS: ReadonlySet<string> = new Set([
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/** The DLP engine and the actions for this request: `actionsFor` resolves `dlp.overrides` for the
 *  /mcp route and the caller (the same resolution as tools/call); `actions` is a fixed fallback. */
export interface ContentInspectDeps {
  readonly engine: DlpEngine;
  /** The engine this request started with, when the DLP in force can change (live config). */
  readonly engineFor?: (ctx: RequestContext) => DlpEngine;
  readonly actionsFor?: (ctx: RequestContext) => Actions;
  readonly actions?: Actions;
}

export interface McpContentDeps {
  readonly catalog: ContentCatalog;
  readonly authorize: AuthorizeContent;
  readonly inspect: ContentInspectDeps;
}

export interface McpContent {
  readonly methods: ReadonlySet<string>;
  /** What initialize (and server/discover) declare. */
  readonly capabilities: Readonly<Record<string, unknown>>;
  /** resolve + authorize + inspect-in for the content methods (a no-op for any other). */
  readonly stage: Stage;
  /** The upstream call (or the filtered list) with DLP on what comes back. */
  forward(ctx: RequestContext): Promise<Record<string, unknown>>;
}

interface Pending {
  list?: Record<string, unknown>;
  target?: ContentTarget;
  arguments?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function createMcpContent(deps: McpContentDeps): McpContent {
  const pending = new WeakMap<RequestContext, Pending>();

  const inspect = (ctx: RequestContext, value: unknown, root: string, direction: 'input' | 'output') => {
    const stage = direction === 'input' ? 'inspect-in' : 'inspect-out';
    const actions = deps.inspect.actionsFor?.(ctx) ?? deps.inspect.actions;
    let s: ReturnType<typeof scanContent>;
    try {
      s = scanContent(deps.inspect.engineFor?.(ctx) ?? deps.inspect.engine, actions, value, root, direction);
    } catch (err) {
      ctx.trail.push({ stage, outcome: 'error', code: 'dlp_blocked' });
      throw err instanceof AirlockError
        ? err
        : new AirlockError('dlp_blocked', { cause: err, detail: 'inspector failed (fail closed)' });
    }
    recordFindings(ctx, direction, s.findings, actions);
    const detail = { findings: s.findings.length, types: [...new Set(s.findings.map((f) => f.type))].sort() };
    if (s.blocking.length > 0) {
      ctx.trail.push({ stage, outcome: 'deny', code: 'dlp_blocked', detail });
      throw dlpBlockedError(s.blocking);
    }
    ctx.trail.push({ stage, outcome: 'allow', detail });
    return s.value;
  };

  /** Discovery: an entry is shown when neither its list nor its use action is denied. */
  async function visible<T extends { server: string }>(
    ctx: RequestContext,
    items: readonly T[],
    kind: 'Prompt' | 'Resource',
    listAction: ContentAction,
    useAction: ContentAction,
    ids: (t: T) => { id: string; upstreamId: string },
  ): Promise<T[]> {
    const out: T[] = [];
    for (const t of items) {
      const base = { kind, server: t.server, ...ids(t) };
      const seen = await deps.authorize(ctx, { ...base, action: listAction });
      if (seen.kind === 'deny') continue;
      if ((await deps.authorize(ctx, { ...base, action: useAction })).kind !== 'deny') out.push(t);
    }
    return out;
  }

  const refuse = (ctx: RequestContext, d: ToolDecision, detail: Record<string, unknown>): never => {
    const code =
      d.kind === 'needs-approval'
        ? 'approval_required'
        : d.kind === 'needs-step-up'
          ? 'step_up_required'
          : 'mcp_content_not_found';
    ctx.trail.push({
      stage: 'authorize',
      outcome: 'deny',
      code,
      detail: { ...detail, decision: d.kind, policies: [...d.policies] },
    });
    throw new AirlockError(code);
  };

  const notFound = (ctx: RequestContext, detail: Record<string, unknown>): never => {
    ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'mcp_content_not_found', detail });
    throw new AirlockError('mcp_content_not_found');
  };

  const stage: Stage = {
    name: 'authorize',
    async run(ctx) {
      const method = mcpOf(ctx).method;
      if (!CONTENT_METHODS.has(method)) return;
      const p: Pending = {};
      pending.set(ctx, p);
      const params = ctx.body;
      if (method === 'prompts/list') {
        const all = await deps.catalog.prompts(ctx.signal);
        const shown = await visible(ctx, all, 'Prompt', 'prompts/list', 'prompts/get', (t) => ({
          id: t.name,
          upstreamId: t.upstreamName,
        }));
        p.list = { prompts: shown.map((t) => t.definition) };
        ctx.trail.push({
          stage: 'authorize',
          outcome: 'allow',
          detail: { action: method, visible: all.length, shown: shown.length },
        });
        return;
      }
      if (method === 'resources/list' || method === 'resources/templates/list') {
        const templates = method === 'resources/templates/list';
        const all = await (templates
          ? deps.catalog.templates(ctx.signal)
          : deps.catalog.resources(ctx.signal));
        const shown = await visible(ctx, all, 'Resource', 'resources/list', 'resources/read', (t) => ({
          id: t.uri,
          upstreamId: t.upstreamUri,
        }));
        p.list = { [templates ? 'resourceTemplates' : 'resources']: shown.map((t) => t.definition) };
        ctx.trail.push({
          stage: 'authorize',
          outcome: 'allow',
          detail: { action: method, visible: all.length, shown: shown.length },
        });
        return;
      }
      if (method === 'prompts/get') {
        const name = params.name;
        const args = params.arguments ?? {};
        if (typeof name !== 'string' || name.length > 256 || !isObject(args))
          throw new AirlockError('invalid_request', {
            publicDetail: 'params.name must be a prompt name and params.arguments an object.',
          });
        // The name goes to the server and into the audit log: a credential in it blocks first.
        inspect(ctx, { name }, 'params', 'input');
        const target =
          (await deps.catalog.prompt(name, ctx.signal)) ?? notFound(ctx, { prompt: name.slice(0, 256) });
        const d = await deps.authorize(ctx, {
          action: 'prompts/get',
          kind: 'Prompt',
          id: name,
          server: target.server,
          upstreamId: target.upstreamId,
          arguments: args,
        });
        if (d.kind !== 'allow') refuse(ctx, d, { prompt: name });
        ctx.trail.push({
          stage: 'authorize',
          outcome: 'allow',
          detail: { prompt: name, policies: [...d.policies] },
        });
        p.target = target;
        p.arguments = inspect(ctx, args, 'arguments', 'input') as Record<string, unknown>;
        return;
      }
      // resources/read
      const uri = params.uri;
      if (typeof uri !== 'string' || uri.length > 4096)
        throw new AirlockError('invalid_request', { publicDetail: 'params.uri must be a resource URI.' });
      if (hasDotSegments(uri)) {
        ctx.trail.push({
          stage: 'resolve',
          outcome: 'deny',
          code: 'mcp_content_not_found',
          detail: { reason: 'dot segments' },
        });
        throw new AirlockError('mcp_content_not_found', {
          publicDetail: 'A resource URI with . or .. segments is refused.',
        });
      }
      // The URI goes to the server and into the audit log: a credential in it blocks first.
      inspect(ctx, { uri }, 'params', 'input');
      const target =
        (await deps.catalog.resource(uri, ctx.signal)) ?? notFound(ctx, { server: uri.slice(0, 64) });
      const d = await deps.authorize(ctx, {
        action: 'resources/read',
        kind: 'Resource',
        id: uri,
        server: target.server,
        upstreamId: target.upstreamId,
      });
      if (d.kind !== 'allow') refuse(ctx, d, { server: target.server });
      ctx.trail.push({
        stage: 'authorize',
        outcome: 'allow',
        detail: { server: target.server, policies: [...d.policies] },
      });
      p.target = target;
    },
  };

  async function forward(ctx: RequestContext): Promise<Record<string, unknown>> {
    const method = mcpOf(ctx).method;
    const p = pending.get(ctx);
    if (!p) throw new AirlockError('internal_error', { detail: `mcp ${method} without authorize` });
    if (p.list) return p.list;
    const t = p.target!;
    if (method === 'prompts/get') {
      const res = await t.upstream.content!(
        'prompts/get',
        { name: t.upstreamId, arguments: p.arguments ?? {} },
        ctx.signal,
      );
      ctx.trail.push({ stage: 'forward', outcome: 'allow', detail: { server: t.server } });
      return inspect(ctx, res, 'result', 'output') as Record<string, unknown>;
    }
    const res = await t.upstream.content!('resources/read', { uri: t.upstreamId }, ctx.signal);
    ctx.trail.push({ stage: 'forward', outcome: 'allow', detail: { server: t.server } });
    const contents = Array.isArray(res.contents)
      ? res.contents.map((c) =>
          isObject(c) && typeof c.uri === 'string' ? { ...c, uri: deps.catalog.expose(t.server, c.uri) } : c,
        )
      : [];
    return inspect(ctx, { ...res, contents }, 'result', 'output') as Record<string, unknown>;
  }

  return {
    methods: CONTENT_METHODS,
    capabilities: { prompts: { listChanged: false }, resources: { listChanged: false } },
    stage,
    forward,
  };
}
