import { describe, expect, it } from 'vitest';
import { FlashsaleError, isFlashsaleError, unavailable } from '../../src/domain/errors.ts';
import { errorBody, HTTP_STATUS, toFlashsaleError } from '../../src/http/errors.ts';

describe('FlashsaleError and isFlashsaleError', () => {
  it('carries an ES2022 cause', () => {
    const driver = new Error('connect ECONNREFUSED 10.0.0.5:5432');
    const error = new FlashsaleError('UNAVAILABLE', undefined, undefined, { cause: driver });
    expect(error.cause).toBe(driver);
    expect(unavailable(driver)).toMatchObject({ code: 'UNAVAILABLE', cause: driver });
  });

  it('matches any code without codes, one of the codes with them', () => {
    const error = new FlashsaleError('HOLD_EXPIRED');
    expect(isFlashsaleError(error)).toBe(true);
    expect(isFlashsaleError(error, 'HOLD_EXPIRED')).toBe(true);
    expect(isFlashsaleError(error, 'HOLD_RELEASED', 'HOLD_EXPIRED')).toBe(true);
    expect(isFlashsaleError(error, 'HOLD_RELEASED')).toBe(false);
    expect(isFlashsaleError(new Error('HOLD_EXPIRED'))).toBe(false);
    expect(isFlashsaleError({ code: 'HOLD_EXPIRED' }, 'HOLD_EXPIRED')).toBe(false);
  });
});

describe('the HTTP mapping', () => {
  it('answers UNAVAILABLE as 503 with the public message only, never the driver error', () => {
    const mapped = toFlashsaleError(unavailable(new Error('connect ECONNREFUSED 10.0.0.5:5432')));
    expect(HTTP_STATUS[mapped.code]).toBe(503);
    expect(JSON.stringify(errorBody(mapped))).not.toContain('10.0.0.5');
  });

  it('no longer reads driver messages: an untranslated error is INTERNAL', () => {
    const raw = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    expect(toFlashsaleError(raw).code).toBe('INTERNAL');
  });

  it("maps Fastify's own codes", () => {
    const fastify = Object.assign(new Error('body/x must be string'), { code: 'FST_ERR_VALIDATION' });
    expect(toFlashsaleError(fastify)).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'body/x must be string',
    });
  });
});
