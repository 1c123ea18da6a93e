import { describe, expect, it } from 'vitest';
import { AdmissionTokens } from '../../src/http/auth.ts';

const claims = (userId: string) => ({ userId, saleId: 's1', expiresAt: Date.now() + 60_000 });

describe('admission key rotation', () => {
  it('accepts the previous key by kid until it is dropped, and publishes both meanwhile', async () => {
    const oldPem = await AdmissionTokens.generatePem();
    const newPem = await AdmissionTokens.generatePem();
    const before = await AdmissionTokens.create(oldPem);
    const oldToken = await before.sign(claims('u1'));

    // Two API processes mid-rotation: the same configuration, so the same keys and kids.
    const rotating = [
      await AdmissionTokens.create(newPem, oldPem),
      await AdmissionTokens.create(newPem, oldPem),
    ];
    const newToken = await rotating[0]?.sign(claims('u2'));
    for (const process of rotating) {
      await expect(process.verify(oldToken, 'u1', 's1')).resolves.toBeUndefined();
      await expect(process.verify(newToken, 'u2', 's1')).resolves.toBeUndefined();
      expect(process.jwks.map((k) => k.kid)).toEqual([process.jwk.kid, before.jwk.kid]);
    }
    expect(rotating[0]?.jwk.kid).not.toBe(before.jwk.kid);

    const after = await AdmissionTokens.create(newPem);
    await expect(after.verify(oldToken, 'u1', 's1')).rejects.toMatchObject({ code: 'NOT_ADMITTED' });
    await expect(after.verify(newToken, 'u2', 's1')).resolves.toBeUndefined();
    expect(after.jwks).toHaveLength(1);
    // A token is still bound to its user and sale, whichever key signed it.
    await expect(rotating[1]?.verify(oldToken, 'u2', 's1')).rejects.toMatchObject({ code: 'NOT_ADMITTED' });
  });
});
