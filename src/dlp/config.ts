// DLP configuration schema (zod, strict). Validated once at start-up; the engine compiles from it.
import { z } from 'zod';

const severity = z.enum(['low', 'medium', 'high', 'critical']);
const category = z.enum(['secret', 'pii', 'custom']);
const action = z.enum(['block', 'redact', 'mask', 'alert']);
const ruleId = z.string().regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'lower-case kebab-case id');

export const customRuleSchema = z
  .strictObject({
    id: ruleId.describe('Stable id; also the default finding type (upper snake case).'),
    type: z
      .string()
      .regex(/^[A-Z0-9_]+$/)
      .optional()
      .describe('Finding type, e.g. EMPLOYEE_ID.'),
    pattern: z.string().min(1).optional().describe('RE2 syntax. A named group `secret` marks the span.'),
    dictionary: z.array(z.string().min(1)).min(1).optional().describe('Whole-word, case-insensitive terms.'),
    keywords: z
      .array(z.string().min(1))
      .optional()
      .describe('Prefilter literals; without them the rule always runs.'),
    minEntropy: z.number().min(0).max(8).optional(),
    severity: severity.default('high'),
    category: category.default('custom'),
  })
  .refine((r) => (r.pattern === undefined) !== (r.dictionary === undefined), {
    message: 'a custom rule needs exactly one of `pattern` or `dictionary`',
  });

const directionActions = z.strictObject({ input: action.optional(), output: action.optional() });

export const actionPolicySchema = z.strictObject({
  categories: z
    .partialRecord(category, directionActions)
    .default({})
    .describe('Per category (secret, pii, custom): `{ input, output }` actions.'),
  types: z
    .record(z.string().regex(/^[A-Z0-9_]+$/, 'an upper snake case finding type'), directionActions)
    .default({})
    .describe('Per finding type, e.g. EMAIL or AWS_ACCESS_KEY; wins over `categories`.'),
  weakensCredentialBlocking: z
    .literal(true)
    .optional()
    .describe(
      'Required (true) when these actions loosen the credential defaults: a secret-category finding on input other than block (it reaches a model or tool), or on output other than redact or block (it reaches the caller); start-up refuses such actions without it.',
    ),
});

const routePattern = z
  .string()
  .regex(/^\/[^\s*]*\*?$/, 'a path such as /v1/embeddings, /mcp or /api/billing/* (one trailing *)');
const principalPattern = z
  .string()
  .regex(
    /^(?:(?:user|service|agent|workload|id|role|tenant):(?:[^\s*]+\*?|\*)|\*)$/,
    'user:ID, service:ID, agent:ID, workload:ID, id:ID, role:NAME or tenant:NAME (one trailing * allowed)',
  );
const modelPattern = z.string().regex(/^[^\s*]+\*?$|^\*$/, 'a model alias (one trailing * allowed)');

export const actionOverrideSchema = z.strictObject({
  match: z
    .strictObject({
      routes: z
        .array(routePattern)
        .min(1)
        .optional()
        .describe(
          'Surfaces: /v1/chat/completions, /v1/completions, /v1/embeddings, /mcp, /api/<service><path template>; a trailing * matches a prefix.',
        ),
      principals: z
        .array(principalPattern)
        .min(1)
        .optional()
        .describe(
          'Callers: user:, service:, agent:, workload: (subject kind and id; API keys are services), id: (any kind), role:, tenant:.',
        ),
      models: z
        .array(modelPattern)
        .min(1)
        .optional()
        .describe('Model aliases; a request without a model (MCP, /api) never matches a models list.'),
    })
    .describe('Every listed dimension must match (any entry within one); an omitted dimension matches all.'),
  actions: actionPolicySchema.describe(
    'Actions for matching requests; what they leave out falls through to `dlp.actions`, then the secure defaults.',
  ),
});

export const dlpConfigSchema = z.strictObject({
  rules: z.array(customRuleSchema).default([]).describe('Site-defined detectors.'),
  disable: z.array(z.string()).default([]).describe('Ids of built-in or custom rules to turn off.'),
  weakensCredentialBlocking: z
    .literal(true)
    .optional()
    .describe(
      'Required (true) when `disable` turns off a credential (secret-category) rule or `base64.enabled` is false: credentials would then reach models and tools undetected; start-up and config changes refuse it otherwise.',
    ),
  dictionaries: z.record(ruleId, z.array(z.string().min(1)).min(1)).default({}),
  phoneRegion: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .default('US')
    .describe('Default region for national-format phones.'),
  base64: z
    .strictObject({
      enabled: z.boolean().default(true),
      minLength: z.number().int().min(8).default(24),
      maxDecodedBytes: z
        .number()
        .int()
        .min(1)
        .default(64 * 1024)
        .describe(
          "Largest base64 payload decoded and scanned, in bytes: a token in text, and an MCP result's resource `blob` when it is text (a larger or binary blob is not scanned).",
        ),
    })
    .prefault({}),
  actions: actionPolicySchema.prefault({}),
  overrides: z
    .array(actionOverrideSchema)
    .default([])
    .describe(
      'Ordered, first match wins: actions per route, principal and model, resolved once per request and applied on every surface that inspects.',
    ),
});

export type DlpConfigInput = z.input<typeof dlpConfigSchema>;
export type DlpConfig = z.output<typeof dlpConfigSchema>;
export type CustomRuleConfig = z.output<typeof customRuleSchema>;
export type ActionPolicy = z.output<typeof actionPolicySchema>;
export type ActionOverride = z.output<typeof actionOverrideSchema>;
