// What CLI commands share: load the config and open the store it names.
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/types.ts';

export interface CliRuntime {
  readonly loaded: LoadedConfig;
  readonly store: Store;
  close(): Promise<void>;
}

export async function openCliRuntime(
  configPath: string,
  onConfig?: (loaded: LoadedConfig) => void,
): Promise<CliRuntime> {
  const loaded = await loadConfig(configPath);
  onConfig?.(loaded);
  const store = await openStore(loaded.config.store, { dataDir: loaded.dataDir });
  await store.migrate();
  return { loaded, store, close: () => store.close() };
}
