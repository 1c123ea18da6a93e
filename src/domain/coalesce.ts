/**
 * Group commit for any batched write: calls made while a batch is being written wait and go out
 * together in the next one. Under load the batches grow by themselves (to `maxBatch`); when calls are
 * rare each goes out alone with no added delay beyond one turn of the event loop.
 */
export function coalesce<I, O>(
  write: (items: I[]) => Promise<O[]>,
  maxBatch: number,
): (item: I) => Promise<O> {
  const byKey = coalesceBy<'', I, O>((_key, items) => write(items), maxBatch);
  return (item: I) => byKey('', item);
}

interface Waiter<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * `coalesce` with one independent group commit per key (the sale engine's: one per sale, since one
 * Redis script may only touch one sale's keys). A key's state is dropped as soon as it has nothing
 * waiting or being written, so keys seen once (an unknown sale id, say) leave nothing behind.
 */
export function coalesceBy<K, I, O>(
  write: (key: K, items: I[]) => Promise<O[]>,
  maxBatch: number,
): (key: K, item: I) => Promise<O> {
  const groups = new Map<K, { waiting: Waiter<I, O>[]; writing: boolean }>();

  const next = async (key: K): Promise<void> => {
    const group = groups.get(key);
    if (group === undefined || group.writing) return;
    if (group.waiting.length === 0) {
      groups.delete(key);
      return;
    }
    group.writing = true;
    const batch = group.waiting.slice(0, maxBatch);
    group.waiting = group.waiting.slice(batch.length);
    try {
      const results = await write(
        key,
        batch.map((w) => w.item),
      );
      batch.forEach((w, i) => {
        w.resolve(results[i] as O);
      });
    } catch (error) {
      // The batch failed as a whole (one transaction): every caller in it sees the failure.
      for (const w of batch) w.reject(error);
    } finally {
      group.writing = false;
      void next(key);
    }
  };

  return (key: K, item: I) =>
    new Promise<O>((resolve, reject) => {
      let group = groups.get(key);
      if (group === undefined) {
        group = { waiting: [], writing: false };
        groups.set(key, group);
      }
      group.waiting.push({ item, resolve, reject });
      // One turn of the event loop first, so the calls of one burst share the first batch too.
      if (!group.writing && group.waiting.length === 1) setImmediate(() => void next(key));
    });
}
