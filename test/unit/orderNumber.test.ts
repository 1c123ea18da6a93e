import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderNumberOf } from '../../src/domain/order.ts';

describe('order numbers', () => {
  it('are the first 40 bits of the hold id in Crockford base32, grouped 4-4', () => {
    // 0x0f1e2d3c4b = 00001 11100 01111 00010 11010 01111 00010 01011 → 1 W F 2 T F 2 B
    expect(orderNumberOf('0f1e2d3c-4b5a-4697-8877-665544332211')).toBe('1WF2-TF2B');
    expect(orderNumberOf('ffffffff-ff00-4000-8000-000000000000')).toBe('ZZZZ-ZZZZ');
    expect(orderNumberOf('00000000-0000-4000-8000-000000000000')).toBe('0000-0000');
  });

  it('read the same from the order id and from its hold id', () => {
    const hold = randomUUID();
    expect(orderNumberOf(`drop-1.${hold}`)).toBe(orderNumberOf(hold));
  });

  it('never contain letters that read like digits', () => {
    for (let i = 0; i < 500; i += 1) {
      expect(orderNumberOf(randomUUID())).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    }
  });
});
