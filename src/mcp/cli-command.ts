// airlock mcp approve|status|revoke — tool pinning from the command line. `approve SERVER` starts
// that one server exactly as the gateway would (scrubbed environment, egress guard), reads its
// tools (and its prompts, resources and resource templates), scans every definition for injection
// markers and pins the clean ones; `--force` pins
// flagged ones too (their markers are kept with the pin). A running gateway picks the change up on
// its next list (the pin file's mtime changes). Approvals are recorded in the audit log.
// Registered in src/cli/registry.ts as `mcpCommand`.
import { parseFlags, printJson, requireFlag, UsageError } from '../cli/args.ts';
import { openCliRuntime } from '../cli/runtime.ts';
import type { CliCommand } from '../cli/types.ts';
import { compileEgressPolicy } from '../egress/policy.ts';
import { toJsonObject } from '../http/stages/record.ts';
import { createSecretResolver } from '../secrets/secret-files.ts';
import { approveServer } from './approve.ts';
import { type McpConfig, mcpConfigSchema } from './config.ts';
import { createMcpPlane, mcpEgressEntries } from './plane.ts';

const usage = `usage:
  airlock mcp approve --config FILE SERVER [--tools a,b] [--force] [--json]
  airlock mcp status  --config FILE [SERVER] [--json]
  airlock mcp revoke  --config FILE SERVER TOOL [--json]
  airlock mcp revoke  --config FILE SERVER ID --kind prompts|resources|templates [--json]
approve pins the SHA-256 of each tool definition (name, description, input schema) and, without
--tools, of each prompt (name, description, arguments), resource and resource template (URI or
URI template, name, description, MIME type); a definition flagged for prompt-injection markers is
refused unless --force. A changed definition is hidden until approved again.`;

function mcpSection(config: unknown): McpConfig {
  const raw = (config as { mcp?: unknown }).mcp;
  return mcpConfigSchema.parse(raw ?? {});
}

export const mcpCommand: CliCommand = {
  name: 'mcp',
  summary: 'approve (pin), inspect and revoke MCP server tools',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !['approve', 'status', 'revoke'].includes(sub))
      throw new UsageError('expected approve, status or revoke');
    const { values, positionals } = parseFlags(
      rest,
      {
        config: { type: 'string' },
        tools: { type: 'string' },
        force: { type: 'boolean' },
        kind: { type: 'string' },
        json: { type: 'boolean' },
      } as const,
      2,
    );
    const runtime = await openCliRuntime(requireFlag(values.config, 'config'), io);
    const actor = `cli:${io.env.USER ?? 'unknown'}`;
    try {
      const config = mcpSection(runtime.loaded.config);
      const names = positionals.length > 0 ? [positionals[0]!] : config.servers.map((s) => s.name);
      const selected = { ...config, servers: config.servers.filter((s) => names.includes(s.name)) };
      if (positionals[0] && selected.servers.length === 0)
        throw new UsageError(`no MCP server named ${positionals[0]} in the config`);
      const plane = createMcpPlane(selected, {
        dataDir: runtime.loaded.dataDir,
        baseDir: runtime.loaded.dir,
        resolveSecret: createSecretResolver(runtime.loaded.dataDir),
        audit: runtime.audit,
      });
      if (sub === 'revoke' && values.kind !== undefined) {
        const [server, id] = positionals;
        const kind = values.kind;
        if (kind !== 'prompts' && kind !== 'resources' && kind !== 'templates')
          throw new UsageError('--kind must be prompts, resources or templates');
        if (!server || !id)
          throw new UsageError('revoke --kind needs SERVER and the prompt name, URI or template');
        const revoked = plane.pins.revokeContent(server, kind, id);
        await runtime.audit.append({
          type: 'admin.change',
          outcome: 'info',
          detail: toJsonObject({
            kind: 'mcp.content.revoked',
            server,
            contentKind: kind,
            id,
            actor,
            revoked,
          }),
        });
        if (values.json) printJson(io.stdout, { server, kind, id, revoked });
        else
          io.stdout.write(
            revoked ? `revoked ${server} ${kind} ${id}\n` : `${server} ${kind} ${id} had no pin\n`,
          );
        return revoked ? 0 : 1;
      }
      if (sub === 'revoke') {
        const [server, tool] = positionals;
        if (!server || !tool) throw new UsageError('revoke needs SERVER and TOOL');
        const revoked = plane.pins.revoke(server, tool);
        await runtime.audit.append({
          type: 'admin.change',
          outcome: 'info',
          detail: toJsonObject({ kind: 'mcp.tool.revoked', server, tool, actor, revoked }),
        });
        if (values.json) printJson(io.stdout, { server, tool, revoked });
        else io.stdout.write(revoked ? `revoked ${server}__${tool}\n` : `${server}__${tool} had no pin\n`);
        return revoked ? 0 : 1;
      }
      // HTTP servers are reached from this process: allow exactly their addresses.
      io.egress?.guard.setPolicy(compileEgressPolicy(mcpEgressEntries(selected)));
      await plane.start();
      try {
        if (sub === 'status') {
          const tools = await plane.catalog.all();
          const rows = tools.map((t) => ({ tool: t.name, pin: t.pin, hash: t.hash }));
          const content = await plane.content.status(AbortSignal.timeout(60_000));
          if (values.json) printJson(io.stdout, { tools: rows, content });
          else {
            for (const r of rows) io.stdout.write(`${r.tool}  ${r.pin}  ${r.hash}\n`);
            for (const c of content) io.stdout.write(`${c.server} ${c.kind} ${c.id}  ${c.pin}  ${c.hash}\n`);
          }
          return 0;
        }
        const server = positionals[0];
        if (!server) throw new UsageError('approve needs SERVER');
        const only = values.tools
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const report = await approveServer(plane.upstreams.get(server)!, plane.pins, {
          actor,
          force: values.force === true,
          ...(only ? { only } : {}),
        });
        const refusedAny = report.refused.length > 0 || report.content.refused.length > 0;
        await runtime.audit.append({
          type: 'admin.change',
          outcome: refusedAny ? 'deny' : 'info',
          detail: toJsonObject({ kind: 'mcp.tools.approved', actor, ...report }),
        });
        if (values.json) printJson(io.stdout, report);
        else {
          for (const a of report.approved)
            io.stdout.write(`approved ${server}__${a.tool} ${a.hash}${a.forced ? ' (FORCED)' : ''}\n`);
          for (const r of report.refused)
            io.stdout.write(
              `REFUSED  ${server}__${r.tool}: ${r.flags.map((f) => `${f.marker} in ${f.field}`).join('; ')} (use --force after review)\n`,
            );
          for (const a of report.content.approved)
            io.stdout.write(`approved ${server} ${a.kind} ${a.id} ${a.hash}${a.forced ? ' (FORCED)' : ''}\n`);
          for (const r of report.content.refused)
            io.stdout.write(
              `REFUSED  ${server} ${r.kind} ${r.id}: ${r.flags.map((f) => `${f.marker} in ${f.field}`).join('; ')} (use --force after review)\n`,
            );
        }
        return refusedAny ? 2 : 0;
      } finally {
        await plane.close();
      }
    } finally {
      await runtime.close();
    }
  },
};
