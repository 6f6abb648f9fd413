// The MCP stages of the one pipeline. A tools/call runs
//   authenticate → resolve (session, tool) → authorize (tool + arguments) → inspect-in (DLP on the
//   arguments) → obligations → forward (the upstream call) → inspect-out (DLP on the result) → record
// and a tools/list runs authenticate → resolve (session) → authorize (per tool: P4 discovery).
// Stage state that only MCP has (the session, the tool, the JSON-RPC id) rides on ctx.mcp.
import { type Actions, decide } from '../dlp/actions.ts';
import type { DlpEngine } from '../dlp/engine.ts';
import { applyRedactions } from '../dlp/redact.ts';
import type { FindingsSummary } from '../dlp/summary.ts';
import type { Finding } from '../dlp/types.ts';
import { AirlockError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import type { Stage } from '../http/pipeline.ts';
import {
  actOnInbound,
  createRequestDlp,
  dlpBlockedError,
  type InspectDeps,
  type RequestDlp,
  recordFindings,
} from '../http/stages/request-dlp.ts';
import type { ToolCatalog } from './catalog.ts';
import { keyLabel } from './content-inspect.ts';
import type { JsonRpcId } from './jsonrpc.ts';
import { visitBlob } from './result-blob.ts';
import type { McpSession, SessionStore } from './sessions.ts';
import type { AuthorizeTool, CatalogTool, ToolResult } from './types.ts';

export interface McpState {
  readonly method: string;
  readonly rpcId: JsonRpcId | null;
  readonly sessionId: string | undefined;
  /** The protocol version the client asked for (initialize) or sent in MCP-Protocol-Version. */
  readonly protocolVersion: string | undefined;
  /** 2026-era request (revision in params._meta; no session, SEP-2567). */
  readonly modern?: boolean;
  /** Why the routing headers disagree with the body (refused in resolve, after authenticate). */
  readonly headerMismatch?: string;
  session?: McpSession;
  tool?: CatalogTool;
  /** tools/call arguments after inspect-in (redacted when the policy says so). */
  arguments?: Record<string, unknown>;
  /** tools/list: the tools this caller may see. */
  listed?: CatalogTool[];
  result?: ToolResult;
  argumentsHash?: string;
  resultHash?: string;
}

export interface McpContext extends RequestContext {
  readonly mcp: McpState;
}

export const mcpOf = (ctx: RequestContext): McpState => (ctx as McpContext).mcp;

/** Session lookup (every method but initialize), then the tool for tools/call. */
export function createMcpResolveStage(deps: {
  sessions: SessionStore;
  catalog: ToolCatalog;
  /** How an unknown tool name is recorded (the audit log keeps it): never a credential. */
  nameLabel?: (ctx: RequestContext, name: string) => string;
}): Stage {
  return {
    name: 'resolve',
    async run(ctx) {
      const m = mcpOf(ctx);
      if (m.method !== 'initialize' && !m.modern) {
        const session = m.sessionId ? deps.sessions.get(m.sessionId, ctx.principal!) : undefined;
        if (!session) {
          ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'mcp_session_not_found' });
          throw new AirlockError('mcp_session_not_found');
        }
        if (m.protocolVersion !== undefined && m.protocolVersion !== session.protocolVersion) {
          ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'unsupported_protocol_version' });
          throw new AirlockError('unsupported_protocol_version', {
            publicDetail: 'MCP-Protocol-Version differs from the version negotiated for this session.',
          });
        }
        m.session = session;
      }
      if (m.method !== 'tools/call') return;
      const name = ctx.body.name;
      if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
        ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'invalid_request' });
        throw new AirlockError('invalid_request', { publicDetail: 'params.name must be a tool name.' });
      }
      const args = ctx.body.arguments ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'invalid_request' });
        throw new AirlockError('invalid_request', { publicDetail: 'params.arguments must be an object.' });
      }
      const tool = await deps.catalog.resolve(name, ctx.signal);
      if (!tool) {
        const tool = deps.nameLabel ? deps.nameLabel(ctx, name) : name;
        ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'tool_not_found', detail: { tool } });
        throw new AirlockError('tool_not_found');
      }
      m.tool = tool;
      m.arguments = args as Record<string, unknown>;
      ctx.trail.push({ stage: 'resolve', outcome: 'allow', detail: { tool: tool.name, pin: tool.pin } });
    },
  };
}

/** One decision per call (with its arguments and the DLP findings in them); tools/list keeps only
 *  the tools the caller may call. */
export function createMcpAuthorizeStage(deps: {
  authorize: AuthorizeTool;
  catalog: ToolCatalog;
  /** The inbound findings summary (scanned once; inspect-in acts on the same scan). */
  findings?: (ctx: RequestContext) => FindingsSummary;
}): Stage {
  return {
    name: 'authorize',
    async run(ctx) {
      const m = mcpOf(ctx);
      if (m.method === 'tools/list') {
        const visible = await deps.catalog.visible(ctx.signal);
        const allowed: CatalogTool[] = [];
        for (const t of visible) {
          const d = await deps.authorize(ctx, { action: 'tools/call', tool: t.name, server: t.server });
          if (d.kind !== 'deny') allowed.push(t);
        }
        m.listed = allowed;
        ctx.trail.push({
          stage: 'authorize',
          outcome: 'allow',
          detail: { action: 'tools/list', visible: visible.length, shown: allowed.length },
        });
        return;
      }
      if (m.method !== 'tools/call') return;
      const tool = m.tool!;
      const findings = deps.findings?.(ctx);
      const ask = {
        action: 'tools/call' as const,
        tool: tool.name,
        server: tool.server,
        arguments: m.arguments ?? {},
      };
      const d = await deps.authorize(ctx, { ...ask, ...(findings ? { findings } : {}) });
      const seen = findings && findings.count > 0 ? { findings } : {};
      if (d.kind === 'allow') {
        // A step-up obligation rides along so the step-up wrapper can check its @ttl and mark it.
        const stepUp = d.obligations?.stepUp?.length ? { obligations: d.obligations } : {};
        ctx.trail.push({
          stage: 'authorize',
          outcome: 'allow',
          detail: { tool: tool.name, policies: [...d.policies], ...seen, ...stepUp },
        });
        return;
      }
      // Refused for what the arguments carry (the tool is otherwise callable): forbidden, not hidden.
      const forContent =
        d.kind === 'deny' &&
        findings !== undefined &&
        findings.count > 0 &&
        (await deps.authorize(ctx, ask)).kind !== 'deny';
      // A tool outside the caller's policy looks unknown (P4: no probing); approval and step-up
      // keep their own codes so the client can act on them.
      const code =
        d.kind === 'needs-approval'
          ? 'approval_required'
          : d.kind === 'needs-step-up'
            ? 'step_up_required'
            : forContent
              ? 'forbidden'
              : 'tool_not_found';
      ctx.trail.push({
        stage: 'authorize',
        outcome: 'deny',
        code,
        detail: {
          tool: tool.name,
          decision: d.kind,
          policies: [...d.policies],
          ...seen,
          ...(d.obligations ? { obligations: d.obligations } : {}),
        },
      });
      throw new AirlockError(code);
    },
  };
}

/** Every string in a JSON value, with a path; `set` writes a replacement back. `binary` (results
 *  only; the largest blob decoded, in bytes): a resource `blob` is decoded and scanned when it is
 *  small text (result-blob.ts), image/audio `data` is skipped; in arguments a `blob` or `data` key is
 *  text the tool reads like any other. */
function walkStrings(
  value: unknown,
  path: string,
  visit: (text: string, field: string) => string | undefined,
  binary: number | undefined,
  visitKey: (key: string, field: string) => boolean,
  depth = 0,
): unknown {
  if (depth > 64) throw new AirlockError('invalid_request', { publicDetail: 'arguments nest too deeply.' });
  if (typeof value === 'string') return visit(value, path) ?? value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const next = walkStrings(v, `${path}[${i}]`, visit, binary, visitKey, depth + 1);
      if (next !== v) {
        out ??= [...value];
        out[i] = next;
      }
    });
    return out ?? value;
  }
  if (value && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    const media = (value as { type?: unknown }).type;
    for (const [k, v] of Object.entries(value)) {
      // Image/audio data of results is not text; a resource blob is scanned when it is small text.
      if (binary !== undefined && k === 'data' && (media === 'image' || media === 'audio')) continue;
      if (binary !== undefined && k === 'blob' && typeof v === 'string') {
        const next = visitBlob(v, (value as { mimeType?: unknown }).mimeType, binary, `${path}.blob`, visit);
        if (next !== undefined) {
          out ??= { ...(value as Record<string, unknown>) };
          out[k] = next;
        }
        continue;
      }
      // Keys are text the tool reads too; a key that held a finding is not echoed in field paths.
      const label = keyLabel(k, visitKey(k, `${path}{key}`));
      const next = walkStrings(v, `${path}.${label}`, visit, binary, visitKey, depth + 1);
      if (next !== v) {
        out ??= { ...(value as Record<string, unknown>) };
        out[k] = next;
      }
    }
    return out ?? value;
  }
  return value;
}

export type McpInspectDeps = InspectDeps;
export type McpRequestDlp = RequestDlp<Record<string, unknown>>;

interface Scan {
  readonly value: unknown;
  readonly findings: Finding[];
  readonly blocking: Finding[];
}

function scanJson(
  engine: DlpEngine,
  actions: Actions,
  value: unknown,
  root: string,
  direction: 'input' | 'output',
): Scan {
  const findings: Finding[] = [];
  const blocking: Finding[] = [];
  const next = walkStrings(
    value,
    root,
    (text, field) => {
      const found = engine.scan(text, field);
      if (found.length === 0) return undefined;
      findings.push(...found);
      const verdict = decide(found, direction, actions);
      if (verdict.kind === 'block') {
        blocking.push(...verdict.blocking);
        return undefined;
      }
      if (verdict.kind === 'redact') return applyRedactions(text, verdict.redactions).text;
      return undefined;
    },
    direction === 'output' ? (engine.config?.base64?.maxDecodedBytes ?? 64 * 1024) : undefined,
    // A key cannot be renamed safely: it stays a finding (and blocks when the policy says so).
    (key, field) => {
      const found = engine.scan(key, field);
      if (found.length === 0) return false;
      findings.push(...found);
      const verdict = decide(found, direction, actions);
      if (verdict.kind === 'block') blocking.push(...verdict.blocking);
      return true;
    },
  );
  return { value: next, findings, blocking };
}

/** The /mcp surface's DLP: route `/mcp`, inbound text is a tools/call's arguments (keys too). */
export function createMcpRequestDlp(deps: McpInspectDeps): McpRequestDlp {
  return createRequestDlp(deps, {
    route: () => '/mcp',
    scanInbound(ctx, engine, actions) {
      const m = mcpOf(ctx);
      if (m.method !== 'tools/call') return undefined;
      const args = m.arguments ?? {};
      const s = scanJson(engine, actions, args, 'arguments', 'input');
      return {
        findings: s.findings,
        blocking: s.blocking,
        value: s.value as Record<string, unknown>,
        changed: s.value !== args,
      };
    },
  });
}

/** DLP on tool arguments. Secure default (src/dlp/actions.ts): a credential in arguments blocks. */
export function createMcpInspectInStage(dlp: McpRequestDlp): Stage {
  return {
    name: 'inspect-in',
    run(ctx) {
      actOnInbound(ctx, dlp, (args) => {
        mcpOf(ctx).arguments = args;
      });
    },
  };
}

/** DLP on the tool result (content text, structuredContent, embedded resources): redact, or block. */
export function createMcpInspectOutStage(dlp: McpRequestDlp): Stage {
  return {
    name: 'inspect-out',
    run(ctx) {
      if (mcpOf(ctx).method !== 'tools/call') return;
      const actions = dlp.actionsFor(ctx).layers;
      const engine = dlp.engineFor(ctx);
      ctx.chunkHooks.push((chunk, c) => {
        const m = mcpOf(c);
        const s = scanJson(engine, actions, chunk, 'result', 'output');
        recordFindings(c, 'output', s.findings, actions);
        if (s.blocking.length > 0) {
          c.trail.push({ stage: 'inspect-out', outcome: 'deny', code: 'dlp_blocked' });
          throw dlpBlockedError(s.blocking);
        }
        m.result = s.value as ToolResult;
        if (s.findings.length > 0)
          c.trail.push({
            stage: 'inspect-out',
            outcome: 'allow',
            detail: {
              findings: s.findings.length,
              types: [...new Set(s.findings.map((f) => f.type))].sort(),
            },
          });
      });
    },
  };
}
