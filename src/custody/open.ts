// Opens custody for a command or the gateway: the custody config section, the inventory file
// (<dataDir>/custody.db) and the trusted keys, parsed once.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { type LoadedConfig, parseConfig } from '../config/load.ts';
import { AirlockError } from '../errors.ts';
import { type CustodyConfig, custodyConfigSchema } from './config.ts';
import { createInventory, type Inventory } from './inventory.ts';
import { openSqliteInventory } from './inventory-sqlite.ts';
import { parseTrustedKeys, type TrustedKey } from './manifest.ts';
import { type ModelSigningTrust, parseModelSigningTrust } from './model-signing.ts';
import { createModelProposals, type ModelProposals } from './proposals.ts';
import type { CustodyEvent } from './types.ts';

export function custodyDbPath(dataDir: string): string {
  return join(dataDir, 'custody.db');
}

/**
 * Loads the config file with its `custody` section. The section is validated here with its own
 * schema and the rest with the main one, so this works whether or not src/config/schema.ts lists
 * `custody` yet.
 */
export async function loadConfigWithCustody(
  path: string,
): Promise<{ loaded: LoadedConfig; custody: CustodyConfig }> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new AirlockError('config_invalid', {
      detail: `cannot read ${abs} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the --config path`,
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new AirlockError('config_invalid', {
      detail: `${abs} is not valid YAML: ${doc.errors[0]!.message}`,
    });
  const js = (doc.toJS() ?? {}) as Record<string, unknown>;
  const { custody: section, ...rest } = js;
  const parsed = custodyConfigSchema.safeParse(section ?? {});
  if (!parsed.success)
    throw new AirlockError('config_invalid', {
      detail: `${abs} is invalid:\n${parsed.error.issues.map((i) => `custody.${i.path.join('.')}: ${i.message}`).join('\n')}`,
    });
  const config = parseConfig(rest, abs);
  const dir = dirname(abs);
  return { loaded: { config, path: abs, dir, dataDir: resolve(dir, config.dataDir) }, custody: parsed.data };
}

export interface OpenedCustody {
  readonly inventory: Inventory;
  readonly trustedKeys: readonly TrustedKey[];
  /** Approve, activate and rollback as proposals (two-person when custody.twoPerson). */
  readonly proposals: ModelProposals;
  /** custody.modelSigning plus the Ed25519 custody.trustedKeys, for model-signing bundles. */
  readonly modelSigning: ModelSigningTrust;
  close(): void;
}

export function openCustody(
  dataDir: string,
  config: CustodyConfig,
  onEvent?: (e: CustodyEvent) => void,
): OpenedCustody {
  const trustedKeys = parseTrustedKeys(config.trustedKeys);
  const pinned = parseModelSigningTrust(
    config.modelSigning ?? { publicKeys: [], certificateAuthorities: [] },
  );
  const modelSigning = { ...pinned, keys: [...pinned.keys, ...trustedKeys] };
  const repo = openSqliteInventory(custodyDbPath(dataDir));
  const inventory = createInventory({ repo, ...(onEvent ? { onEvent } : {}) });
  const proposals = createModelProposals({
    inventory,
    repo,
    twoPerson: config.twoPerson,
    ...(onEvent ? { onEvent } : {}),
  });
  return { inventory, trustedKeys, proposals, modelSigning, close: () => inventory.close() };
}
