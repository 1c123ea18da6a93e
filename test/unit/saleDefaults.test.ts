/** When the waiting room of a sale opens if the operator does not say (normalizeSale's default). */
import { describe, expect, it } from 'vitest';
import { normalizeSale } from '../../src/domain/sale.ts';

const T0 = Date.UTC(2030, 0, 1, 12);
const input = {
  id: 'drop',
  totalStock: 10,
  perUserLimit: 1,
  startsAt: T0,
  endsAt: T0 + 3_600_000,
  holdSeconds: 60,
};
const seed = () => 'seed';

describe('prequeueAt', () => {
  it('defaults to the publication instant: the room opens at once, before the start', () => {
    expect(normalizeSale(input, seed, T0 - 600_000).prequeueAt).toBe(T0 - 600_000);
  });

  it('is the start for a sale published after its start', () => {
    expect(normalizeSale(input, seed, T0 + 5000).prequeueAt).toBe(T0);
  });

  it('keeps an explicit instant, later than the publication (room closed until then) or earlier', () => {
    expect(normalizeSale({ ...input, prequeueAt: T0 - 60_000 }, seed, T0 - 600_000).prequeueAt).toBe(
      T0 - 60_000,
    );
    expect(normalizeSale({ ...input, prequeueAt: T0 - 3_600_000 }, seed, T0).prequeueAt).toBe(T0 - 3_600_000);
    expect(() => normalizeSale({ ...input, prequeueAt: T0 + 1 }, seed, T0 - 600_000)).toThrow(
      expect.objectContaining({ code: 'INVALID_SALE' }),
    );
  });
});
