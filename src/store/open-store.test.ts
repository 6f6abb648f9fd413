import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AirlockError } from '../errors.ts';
import type { StoreConfig } from './open-store.ts';
import { openStore, storeDrivers } from './open-store.ts';

describe('openStore', () => {
  it('sqlite: a relative path resolves against dataDir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-open-store-'));
    try {
      const store = await openStore({ driver: 'sqlite', path: 'nested/airlock.db' }, { dataDir });
      assert.equal(store.driver, 'sqlite');
      await store.close();
      assert.ok(existsSync(join(dataDir, 'nested', 'airlock.db')));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('unknown driver → config_invalid listing the valid drivers', async () => {
    const config = { driver: 'mysql', url: 'x' } as unknown as StoreConfig;
    await assert.rejects(
      openStore(config, { dataDir: tmpdir() }),
      (err: unknown) =>
        err instanceof AirlockError &&
        err.code === 'config_invalid' &&
        /sqlite, postgres/.test(err.detail ?? ''),
    );
  });

  it('the registry names exactly the drivers the Store type allows', () => {
    assert.deepEqual(Object.keys(storeDrivers).sort(), ['postgres', 'sqlite']);
  });
});
