/**
 * Group commit for any batched write: calls made while a batch is being written wait and go out
 * together in the next one. Under load the batches grow by themselves (to `maxBatch`); when calls are
 * rare each goes out alone with no added delay beyond one turn of the event loop.
 */
export function coalesce<I, O>(
  write: (items: I[]) => Promise<O[]>,
  maxBatch: number,
): (item: I) => Promise<O> {
  let waiting: Array<{ item: I; resolve: (value: O) => void; reject: (error: unknown) => void }> = [];
  let writing = false;

  const next = async (): Promise<void> => {
    if (writing || waiting.length === 0) return;
    writing = true;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(batch.length);
    try {
      const results = await write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(results[i] as O);
      });
    } catch (error) {
      // The batch failed as a whole (one transaction): every caller in it sees the failure.
      for (const w of batch) w.reject(error);
    } finally {
      writing = false;
      void next();
    }
  };

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // One turn of the event loop first, so the calls of one burst share the first batch too.
      if (!writing) setImmediate(() => void next());
    });
}
