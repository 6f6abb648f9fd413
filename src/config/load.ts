// Loads the one YAML config file, validates it against the schema and resolves relative paths.
// Errors name the path in the document and what would fix it; nothing is half-applied.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AirlockError } from '../errors.ts';
import { type AirlockConfig, configSchema } from './schema.ts';

export interface LoadedConfig {
  readonly config: AirlockConfig;
  /** Absolute path of the file. */
  readonly path: string;
  /** Folder of the file: relative paths in the config resolve against it. */
  readonly dir: string;
  /** Absolute data folder. */
  readonly dataDir: string;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
      let fix = issue.message;
      if (issue.code === 'unrecognized_keys')
        fix = `unknown field(s) ${issue.keys.join(', ')}: remove them or check the spelling`;
      if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
        fix = `required: add ${where}`;
      return `${where}: ${fix}`;
    })
    .join('\n');
}

/** Validates an already-parsed document. */
export function parseConfig(doc: unknown, source = 'config'): AirlockConfig {
  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) {
    throw new AirlockError('config_invalid', {
      detail: `${source} is invalid:\n${formatIssues(parsed.error.issues)}`,
    });
  }
  return parsed.data;
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AirlockError('config_invalid', {
      detail: `cannot read ${abs} (${code ?? 'error'}): check the --config path`,
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new AirlockError('config_invalid', { detail: `${abs} is not valid YAML: ${first.message}` });
  }
  const config = parseConfig(doc.toJS(), abs);
  const dir = dirname(abs);
  return { config, path: abs, dir, dataDir: resolve(dir, config.dataDir) };
}
