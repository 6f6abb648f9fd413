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
  categories: z.partialRecord(category, directionActions).default({}),
  types: z.record(z.string(), directionActions).default({}).describe('Per finding type, e.g. EMAIL.'),
});

export const dlpConfigSchema = z.strictObject({
  rules: z.array(customRuleSchema).default([]).describe('Site-defined detectors.'),
  disable: z.array(z.string()).default([]).describe('Ids of built-in or custom rules to turn off.'),
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
        .default(64 * 1024),
    })
    .prefault({}),
  actions: actionPolicySchema.prefault({}),
});

export type DlpConfigInput = z.input<typeof dlpConfigSchema>;
export type DlpConfig = z.output<typeof dlpConfigSchema>;
export type CustomRuleConfig = z.output<typeof customRuleSchema>;
export type ActionPolicy = z.output<typeof actionPolicySchema>;
