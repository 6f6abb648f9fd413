// What CLI commands share: load the config, open the store it names and the audit log, so that
// changes made from the CLI (keys) are recorded like those made through the admin API.
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { openAuditLog } from '../evidence/open.ts';
import type { AuditLog } from '../evidence/types.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/types.ts';

export interface CliRuntime {
  readonly loaded: LoadedConfig;
  readonly store: Store;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

export async function openCliRuntime(configOrPath: string | LoadedConfig): Promise<CliRuntime> {
  const loaded = typeof configOrPath === 'string' ? await loadConfig(configOrPath) : configOrPath;
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
