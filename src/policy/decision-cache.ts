// A bounded LRU of engine answers. Keys are built by the decision point from exactly the inputs
// the sliced policies read, so a hit can never differ from a fresh evaluation; a new policy version
// builds a new decision point and with it a new cache (invalidation by construction).
export interface DecisionCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  clear(): void;
  readonly size: number;
}

export function createDecisionCache<V>(maxEntries: number): DecisionCache<V> {
  const map = new Map<string, V>();
  return {
    get(key) {
      const v = map.get(key);
      if (v === undefined) return undefined;
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      map.delete(key);
      map.set(key, v);
      return v;
    },
    set(key, value) {
      if (maxEntries <= 0) return;
      map.delete(key);
      map.set(key, value);
      if (map.size > maxEntries) map.delete(map.keys().next().value as string);
    },
    clear() {
      map.clear();
    },
    get size() {
      return map.size;
    },
  };
}
