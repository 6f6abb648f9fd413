// Read caches exactly as fresh as the database file. Every request reads its API key; the row
// rarely changes, but a revoke in another process (the CLI, a second replica on the
// same file) must take effect on the next request. `PRAGMA data_version` (a prepared statement,
// about a microsecond) changes whenever another connection has committed since this connection last
// asked, so a cached row is served only when nobody else wrote; this connection's own writes do not
// move data_version, so the store calls wrote() after each of them.
import type { Database as SqliteDatabase } from 'better-sqlite3';

export interface FreshCache<V> {
  /** The cached value of `key` if the database did not change since it was read, else `load()`'s
   *  (kept unless undefined: misses are not cached, so junk keys cannot fill memory). */
  read(key: string, load: () => V | undefined): V | undefined;
}

export interface Freshness {
  /** A cache dropped whenever the database changed; at most `max` entries (then it starts over). */
  cache<V>(max: number): FreshCache<V>;
  /** This connection wrote (or may have): drops all caches. */
  wrote(): void;
}

export function createFreshness(db: SqliteDatabase): Freshness {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const maps: Map<string, unknown>[] = [];
  let seen: unknown;
  const clear = () => {
    for (const m of maps) m.clear();
  };
  return {
    cache<V>(max: number): FreshCache<V> {
      const map = new Map<string, V>();
      maps.push(map as Map<string, unknown>);
      return {
        read(key, load) {
          const v = dataVersion.get();
          if (v !== seen) {
            seen = v;
            clear();
          }
          let value = map.get(key);
          if (value === undefined) {
            value = load();
            if (value === undefined) return undefined;
            if (map.size >= max) map.clear();
            map.set(key, value);
          }
          return value;
        },
      };
    },
    wrote: clear,
  };
}
