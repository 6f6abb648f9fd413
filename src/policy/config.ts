// The `policy` section of the configuration (mounted by src/config/schema.ts as `policy:`), and how
// it becomes a decision point. Policies are compiled once per version at start-up; a broken policy
// stops start-up with the Cedar message, the policy id and file:line:column.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AirlockError } from '../errors.ts';
import { type CedarDecisionPointDeps, createCedarDecisionPoint } from './cedar-decision-point.ts';
import { defaultPolicySource } from './compile.ts';
import type { DecisionPoint } from './types.ts';

export const policyConfigSchema = z
  .strictObject({
    defaults: z
      .boolean()
      .default(true)
      .describe(
        'Include the shipped default policies (src/policy/default-policies.cedar): API keys use the models and endpoints in their scopes, admin keys perform admin actions.',
      ),
    files: z
      .array(z.string().min(1))
      .default([])
      .describe('Cedar policy files, relative to the configuration file. Every policy needs an @id.'),
    policies: z.string().default('').describe('Inline Cedar policies, added to the files.'),
    version: z
      .string()
      .regex(/^[\w.:-]{1,64}$/)
      .optional()
      .describe(
        'Label for this policy set in decisions and audit entries; default: a hash of the policy text.',
      ),
    cacheSize: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(10_000)
      .describe('Decisions kept in the LRU decision cache (0 turns it off).'),
  })
  .prefault({})
  .describe('Authorisation policies (Cedar), evaluated for every request; default deny.');

export type PolicyConfig = z.infer<typeof policyConfigSchema>;

/** Builds the decision point for a config's `policy` section. `baseDir` is the config file's folder. */
export function createDecisionPointFromConfig(
  config: PolicyConfig,
  deps: CedarDecisionPointDeps & { readonly baseDir: string },
): DecisionPoint {
  const readRaw = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const read = (p: string): string => {
    try {
      return readRaw(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new AirlockError('config_invalid', { detail: `policy: cannot read policy file ${p} (${code})` });
    }
  };
  const files = [
    ...(config.defaults ? [defaultPolicySource().name] : []),
    ...config.files.map((f) => (isAbsolute(f) ? f : resolve(deps.baseDir, f))),
  ];
  const texts = new Map(files.map((f) => [f, read(f)]));
  const version =
    config.version ??
    `sha256:${createHash('sha256')
      .update(config.policies)
      .update([...texts.values()].map((t) => `\0${t}`).join(''))
      .digest('hex')
      .slice(0, 16)}`;
  return createCedarDecisionPoint(
    { policies: config.policies, policyFiles: files, version, cacheSize: config.cacheSize },
    { ...deps, readFile: (f) => texts.get(f) ?? read(f) },
  );
}
