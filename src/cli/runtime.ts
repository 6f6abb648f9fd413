// What CLI commands share: load the config, open the store it names and the audit log, so that
// changes made from the CLI (keys) are recorded like those made through the admin API.
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { buildEgressPolicy } from '../egress/policy.ts';
import { openAuditLog } from '../evidence/open.ts';
import type { AuditLog } from '../evidence/types.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/types.ts';
import type { CliIo } from './types.ts';

export interface CliRuntime {
  readonly loaded: LoadedConfig;
  readonly store: Store;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

/** CLI commands run under the deny-all guard bin/airlock.js installed; once a config is loaded they
 *  may reach exactly what `serve` would (a PostgreSQL store, for example) and nothing else. */
export function applyEgressPolicy(loaded: LoadedConfig, io?: Pick<CliIo, 'egress'>): void {
  io?.egress?.guard.setPolicy(buildEgressPolicy(loaded.config));
}

export async function openCliRuntime(
  configOrPath: string | LoadedConfig,
  io?: Pick<CliIo, 'egress'>,
): Promise<CliRuntime> {
  const loaded = typeof configOrPath === 'string' ? await loadConfig(configOrPath) : configOrPath;
  applyEgressPolicy(loaded, io);
  const { config, dataDir } = loaded;
  const store = await openStore(config.store, { dataDir });
  try {
    await store.migrate();
    const { log } = await openAuditLog(config.audit, {
      dataDir,
      ...(config.store.driver === 'postgres' ? { storeUrl: config.store.url } : {}),
    });
    return {
      loaded,
      store,
      audit: log,
      async close() {
        await log.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
