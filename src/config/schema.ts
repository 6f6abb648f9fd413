// The one configuration schema. docs/config.md and schema/airlock.config.schema.json are generated
// from it (scripts/generate-schema.ts); a freshness check in the test command keeps them in step.
// Every object is strict: an unknown field is an error that names its path, never silently ignored.
import { z } from 'zod';
import { apisConfigSchema } from '../apis/config.ts';
import { custodyConfigSchema } from '../custody/config.ts';
import { dlpConfigSchema } from '../dlp/config.ts';
import { auditConfigSchema } from '../evidence/config.ts';
import { tracingConfigSchema } from '../evidence/tracing/config.ts';
import { identityConfigSchema } from '../identity/config.ts';
import { usersConfigSchema } from '../identity/users/config.ts';
import { mcpConfigSchema } from '../mcp/config.ts';
import { policyConfigSchema } from '../policy/config.ts';
import { vaultConfigSchema } from '../secrets/vault-config.ts';
import { durationMs } from './duration.ts';
import { durationField, secretRefField } from './fields.ts';

const duration = durationField;

/** `secret:NAME` — resolved from the vault (or a secret file); never inline. */
export const secretRef = secretRefField;

const tlsSchema = z
  .strictObject({
    cert: z.string().describe('PEM certificate chain file.'),
    key: z.string().describe('PEM private key file (0600).'),
    clientCa: z.string().optional().describe('PEM CA bundle; when set, client certificates are requested.'),
    requireClientCert: z
      .boolean()
      .default(false)
      .describe('Reject connections without a valid client certificate.'),
  })
  .describe('TLS 1.3 settings for a listener.');

const listenerSchema = z.strictObject({
  host: z.string().default('127.0.0.1').describe('Address to bind.'),
  port: z.number().int().min(0).max(65535).describe('TCP port (0 picks a free port).'),
  tls: tlsSchema.optional(),
});

const timeoutsSchema = z
  .strictObject({
    connect: duration.default('2s').describe('TCP/TLS connect timeout.'),
    firstByte: duration.default('60s').describe('Time to the first response byte (headers).'),
    idle: duration.default('30s').describe('Longest gap between two streamed chunks.'),
    total: duration.default('10m').describe('Whole-request deadline.'),
  })
  .prefault({});

export const upstreamSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  kind: z
    .enum(['openai', 'ollama', 'embedded'])
    .describe(
      'openai: any OpenAI-compatible server (vLLM, llama.cpp server, TGI, LM Studio, Ollama /v1); ollama: Ollama native API; embedded: an airlock worker started and supervised by the gateway.',
    ),
  baseUrl: z.url().optional().describe('Base URL of the server (not for embedded).'),
  apiKey: secretRef.optional().describe('Credential injected at the last hop.'),
  timeouts: timeoutsSchema,
  health: z
    .strictObject({
      path: z
        .string()
        .optional()
        .describe('Health path; defaults to /v1/models (openai) or /api/tags (ollama).'),
      interval: duration.default('10s'),
    })
    .prefault({}),
  circuitBreaker: z
    .strictObject({
      failures: z.number().int().min(1).default(5).describe('Consecutive failures that open the circuit.'),
      cooldown: duration
        .default('30s')
        .describe('How long an open circuit stays open before one trial request.'),
    })
    .prefault({}),
  worker: z
    .strictObject({
      modelPath: z
        .string()
        .optional()
        .describe(
          'GGUF file served by the embedded worker (with custody enforced, re-hashed and checked against the inventory before every start). Set this or `model`.',
        ),
      model: z
        .string()
        .optional()
        .describe(
          "Inventory alias or name@version: the worker loads that approved version's GGUF from the content-addressed model store, resolved again at every (re)start, so an approved activation or rollback applies at the next start. Set this or `modelPath`.",
        ),
      threads: z.number().int().min(1).optional().describe('CPU threads; defaults to the number of cores.'),
      contextSize: z.number().int().min(128).default(2048),
      port: z.number().int().min(0).max(65535).default(0).describe('Loopback port; 0 picks a free one.'),
    })
    .optional()
    .describe('Embedded worker settings (kind: embedded only).'),
});

export const modelTargetSchema = z.strictObject({
  upstream: z.string().describe('Name of an upstream.'),
  model: z.string().describe('Model name as the upstream knows it.'),
});

export const modelSchema = z.strictObject({
  alias: z.string().min(1).describe('Name clients put in `model`.'),
  endpoints: z
    .array(z.enum(['chat', 'completions', 'embeddings']))
    .default(['chat', 'completions'])
    .describe('Endpoints this model serves.'),
  targets: z.array(modelTargetSchema).min(1).describe('Tried in order; failover moves to the next.'),
});

const quotaRuleSchema = z.strictObject({
  requestsPerMinute: z.number().int().min(1).optional(),
  tokensPerDay: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).optional(),
});

export const configSchema = z
  .strictObject({
    version: z.literal(1).describe('Config format version.'),
    dataDir: z
      .string()
      .describe('Folder for the store, secrets and logs; relative paths resolve against the config file.'),
    listeners: z.strictObject({
      client: listenerSchema.describe('OpenAI-compatible surface (/v1), /healthz, /readyz, /metrics.'),
      admin: listenerSchema.optional().describe('Admin surface (/admin/v1). Put it on a management address.'),
    }),
    store: z
      .discriminatedUnion('driver', [
        z.strictObject({ driver: z.literal('sqlite'), path: z.string().default('airlock.db') }),
        z.strictObject({
          driver: z.literal('postgres'),
          url: z.string().describe('postgres:// URL; password as secret ref not supported inline.'),
        }),
      ])
      .prefault({ driver: 'sqlite' }),
    upstreams: z.array(upstreamSchema).default([]),
    models: z.array(modelSchema).default([]),
    approvals: z
      .strictObject({
        pendingTtl: duration.default('1h').describe('How long an approval request waits for a decision.'),
        approvedTtl: duration.default('15m').describe('How long a granted approval may be used (once).'),
        url: z
          .url()
          .refine((u) => u.includes('{id}'), 'must contain {id} (replaced by the approval id)')
          .optional()
          .describe(
            'Where a human approves a request (MCP URL-mode elicitation, error messages), with {id} for the approval id, e.g. https://airlock-admin.example/console/approvals/{id}. Default: the admin listener’s /admin/v1/approvals/{id}.',
          ),
      })
      .prefault({}),
    breakGlass: z
      .strictObject({
        maxTtl: duration
          .default('1h')
          .refine((d) => durationMs(d) <= 3_600_000, 'at most 1h')
          .describe('Longest break-glass grant (hard ceiling 1h).'),
        role: z.string().min(1).default('break-glass').describe('Role that may open a grant.'),
      })
      .prefault({}),
    keys: z
      .strictObject({
        maxTtl: duration.default('90d').describe('Longest lifetime any API key may have.'),
        rotationOverlap: duration.default('24h').describe('How long the old key keeps working after rotate.'),
      })
      .prefault({}),
    quotas: z
      .strictObject({
        perKey: quotaRuleSchema.prefault({ requestsPerMinute: 600, concurrency: 16 }),
        perModel: z.record(z.string(), quotaRuleSchema).default({}),
      })
      .prefault({}),
    limits: z
      .strictObject({
        bodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(4 * 1024 * 1024),
        headerBytes: z
          .number()
          .int()
          .min(1024)
          .default(16 * 1024),
        requestTimeout: duration.default('30s').describe('Time allowed to receive the whole request.'),
        maxConcurrent: z
          .number()
          .int()
          .min(1)
          .default(1024)
          .describe('Requests in flight across the gateway.'),
        maxMessages: z.number().int().min(1).default(1024),
      })
      .prefault({}),
    audit: auditConfigSchema,
    tracing: tracingConfigSchema,
    policy: policyConfigSchema,
    mcp: mcpConfigSchema,
    apis: apisConfigSchema,
    custody: custodyConfigSchema.describe(
      'Model custody (P7): trusted signing keys, unsigned imports, approved-only serving.',
    ),
    identity: identityConfigSchema,
    vault: vaultConfigSchema,
    users: usersConfigSchema,
    dlp: dlpConfigSchema
      .prefault({})
      .describe('Data loss prevention: detectors and actions on prompts and outputs.'),
    egress: z
      .strictObject({
        allow: z
          .array(z.string())
          .default([])
          .describe('Extra host:port or CIDR[:port] entries the gateway may reach.'),
      })
      .prefault({}),
    logging: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    // RFC 8707 / MCP authorization: tokens on /mcp are bound to this resource. Bearer tokens are
    // checked against identity.audience, so the two must name the same resource.
    if (cfg.mcp.surface.resource !== undefined && cfg.mcp.surface.resource !== cfg.identity.audience)
      ctx.addIssue({
        code: 'custom',
        path: ['mcp', 'surface', 'resource'],
        message: `must equal identity.audience ("${cfg.identity.audience}"): tokens are audience-bound to this resource; set identity.audience to the same URI`,
      });
    // MCP tool names are <namespace>__<tool>: a server and a service exposing tools share one namespace.
    const servers = new Set(cfg.mcp.servers.map((m) => m.name));
    cfg.apis.forEach((a, i) => {
      if (a.expose.mcpTools.length > 0 && servers.has(a.name))
        ctx.addIssue({
          code: 'custom',
          path: ['apis', i, 'name'],
          message: `"${a.name}" is also an MCP server name: its tools would share the namespace; rename one`,
        });
    });
    const names = new Set(cfg.upstreams.map((u) => u.name));
    cfg.upstreams.forEach((u, i) => {
      if (u.kind === 'embedded' && !u.worker)
        ctx.addIssue({
          code: 'custom',
          path: ['upstreams', i, 'worker'],
          message: 'kind: embedded needs a worker section with modelPath or model',
        });
      if (u.worker && (u.worker.modelPath === undefined) === (u.worker.model === undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['upstreams', i, 'worker'],
          message: 'set exactly one of worker.modelPath (a GGUF file) and worker.model (an inventory alias)',
        });
      if (u.kind !== 'embedded' && !u.baseUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['upstreams', i, 'baseUrl'],
          message: `kind: ${u.kind} needs baseUrl`,
        });
    });
    cfg.custody.serve.forEach((b, i) => {
      if (!names.has(b.upstream))
        ctx.addIssue({
          code: 'custom',
          path: ['custody', 'serve', i, 'upstream'],
          message: `no upstream named "${b.upstream}"`,
        });
      const kind = cfg.upstreams.find((u) => u.name === b.upstream)?.kind;
      const backend = b.backend ?? (kind === 'ollama' ? 'ollama' : undefined);
      if (kind === 'openai' && backend === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['custody', 'serve', i, 'backend'],
          message: `upstream ${b.upstream} is kind: openai; say which server it is (backend: vllm or llamacpp) so custody can verify what it serves`,
        });
      if (backend !== undefined && kind !== undefined && (backend === 'ollama') !== (kind === 'ollama'))
        ctx.addIssue({
          code: 'custom',
          path: ['custody', 'serve', i, 'backend'],
          message: `backend ${backend} does not fit upstream ${b.upstream} (kind: ${kind}): ollama for kind: ollama, vllm or llamacpp for kind: openai`,
        });
    });
    const embedded = new Set(cfg.upstreams.filter((u) => u.kind === 'embedded').map((u) => u.name));
    cfg.custody.exempt.forEach((x, i) => {
      if (!names.has(x.upstream) || embedded.has(x.upstream))
        ctx.addIssue({
          code: 'custom',
          path: ['custody', 'exempt', i, 'upstream'],
          message: embedded.has(x.upstream)
            ? `"${x.upstream}" is embedded: its worker loads only approved artefacts; import and approve the model instead`
            : `no upstream named "${x.upstream}"`,
        });
    });
    const aliases = new Set<string>();
    cfg.models.forEach((m, i) => {
      if (aliases.has(m.alias))
        ctx.addIssue({ code: 'custom', path: ['models', i, 'alias'], message: `duplicate alias ${m.alias}` });
      aliases.add(m.alias);
      m.targets.forEach((t, j) => {
        if (!names.has(t.upstream))
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'targets', j, 'upstream'],
            message: `no upstream named "${t.upstream}"; define it under upstreams (known: ${[...names].join(', ') || 'none'})`,
          });
      });
    });
  });

export type AirlockConfig = z.infer<typeof configSchema>;
export type UpstreamConfig = AirlockConfig['upstreams'][number];
export type ModelConfig = AirlockConfig['models'][number];
export type ListenerConfig = AirlockConfig['listeners']['client'];
export type QuotaRule = z.infer<typeof quotaRuleSchema>;

export { durationMs } from './duration.ts';
