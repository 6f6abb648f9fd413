// Builds the configured store at start-up. The registry maps config driver names to factories; an unknown
// name stops start-up with the list of valid names (STYLE 2).

import { isAbsolute, resolve } from 'node:path';
import { AirlockError } from '../errors.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './types.ts';

export type StoreConfig = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

export interface OpenStoreOptions {
  /** Folder a relative SQLite path resolves against. */
  readonly dataDir: string;
}

type StoreFactory<C extends StoreConfig> = (config: C, opts: OpenStoreOptions) => Promise<Store>;

export const storeDrivers: {
  readonly [D in StoreConfig['driver']]: StoreFactory<Extract<StoreConfig, { driver: D }>>;
} = {
  sqlite: (config, opts) => openSqliteStore({ path: resolveSqlitePath(config.path, opts.dataDir) }),
  postgres: (config) => openPostgresStore({ url: config.url }),
};

/** Opens (but does not migrate) the store; start-up calls `migrate()` next. */
export async function openStore(config: StoreConfig, opts: OpenStoreOptions): Promise<Store> {
  const driver = config.driver as string;
  if (!Object.hasOwn(storeDrivers, driver)) {
    throw new AirlockError('config_invalid', {
      detail: `unknown store driver "${driver}"; valid drivers: ${Object.keys(storeDrivers).join(', ')}`,
    });
  }
  // The cast is safe: the key check above and the union tie each driver name to its config shape.
  const factory = storeDrivers[config.driver] as StoreFactory<StoreConfig>;
  return factory(config, opts);
}

function resolveSqlitePath(path: string, dataDir: string): string {
  if (path === ':memory:' || isAbsolute(path)) return path;
  return resolve(dataDir, path);
}
