/**
 * Bounded per-process memories (tickets seen, admission tokens signed): when one is full, the oldest
 * tenth goes at once, so the next inserts cost nothing. Maps and Sets iterate in insertion order.
 */
export function forgetOldestTenth<K>(memory: Map<K, unknown> | Set<K>, max: number): void {
  if (memory.size < max) return;
  let drop = Math.ceil(max / 10);
  for (const key of memory.keys()) {
    if (drop-- <= 0) break;
    memory.delete(key);
  }
}
