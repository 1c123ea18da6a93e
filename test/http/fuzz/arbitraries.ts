/**
 * Generators for the bad-input suite (../badInput.contract.ts). A route's valid request is changed in
 * ONE aspect at a time — a header, the path id, the transport of the body, one field of the body — so
 * each request is bad for a known reason; each change names the reason and the codes it may answer.
 * `anyRequest` is the other half: requests with every part random and no valid credential.
 */
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import type { ErrorCode } from '../../../src/domain/errors.ts';
import { SALE_ID_PATTERN } from '../../../src/domain/sale.ts';
import type { AdmissionTokens } from '../../../src/http/auth.ts';

export interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface BadRequest extends Request {
  why: string;
  /** The codes this reason may answer (the status must be the registry's for the code). */
  codes: readonly ErrorCode[];
  [fc.toStringMethod]?: () => string;
}

/** One change to a valid request: `null` removes a header or the body. */
export interface Change {
  why: string;
  codes: readonly ErrorCode[];
  method?: string;
  url?: string;
  headers?: Record<string, string | null>;
  payload?: string | null;
}

/** How fast-check prints a counterexample: bodies of many kilobytes cut short. */
function printed(this: BadRequest): string {
  const body = this.payload === undefined ? '' : ` body ${show(this.payload)}`;
  return `${this.why}: ${this.method} ${show(this.url)} headers ${show(this.headers)}${body}`;
}

export function apply(base: Request, change: Change): BadRequest {
  const headers = { ...base.headers };
  for (const [name, value] of Object.entries(change.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  const payload = change.payload === undefined ? base.payload : (change.payload ?? undefined);
  return {
    method: change.method ?? base.method,
    url: change.url ?? base.url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
    why: change.why,
    codes: change.codes,
    [fc.toStringMethod]: printed,
  };
}

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
  return text.length > 200 ? `${text.slice(0, 200)}…(${text.length} chars)` : text;
};

/** encodeURIComponent, with lone surrogates replaced (they have no UTF-8 form). */
export const encode = (s: string): string => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const NANISH = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e3',
  '0x10',
  '0b1',
  '1_000',
  ' 1',
  '1 ',
  '',
  'null',
  'undefined',
  'true',
  '١',
  '1.0',
  '+1',
  '--1',
  '½',
];
const ODD_TYPES: unknown[] = [null, true, false, [], [1], {}, { value: 1 }];

/** JSON values that are not a whole number in [min, max]. */
export function notAWholeNumberIn(min: number, max: number): fc.Arbitrary<unknown> {
  const valid = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  return fc
    .oneof(
      fc.constantFrom(
        min - 1,
        max + 1,
        0,
        -1,
        0.5,
        min + 0.5,
        max + 0.5,
        1e21,
        -1e21,
        2 ** 53,
        1.7e308,
        5e-324,
      ),
      fc.integer({ min: -MAX_SAFE, max: Math.max(-MAX_SAFE, min - 1) }),
      fc.integer({ min: Math.min(max + 1, MAX_SAFE), max: MAX_SAFE }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: min - 2, max: max + 2, noNaN: true }),
      fc.integer({ min, max: Math.min(max, MAX_SAFE) }).map(String),
      fc.constantFrom(...NANISH),
      fc.constantFrom(...ODD_TYPES),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .filter((v) => !valid(v) && !Object.is(v, -0));
}

const ODD_STRINGS = [
  '',
  ' ',
  '..',
  '../',
  '../../admin',
  'a/b',
  'a b',
  'é',
  '日本',
  '💥',
  '%2e%2e',
  'a\u0000b',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '{sale:x}',
  'a.b',
  'a*',
  '\\',
  'a?b',
  'a#b',
  '\u202eevil',
  'a'.repeat(65),
  'x'.repeat(300),
  'y'.repeat(5000),
];

/** Strings that do not match `pattern` (with unicode, path tricks and lengths around the limits). */
export function stringsNotMatching(pattern: RegExp, maxLength = 300): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constantFrom(...ODD_STRINGS),
      fc.string({ unit: 'binary', maxLength }),
      fc.string({ unit: 'grapheme-ascii', maxLength }),
      fc.string({ unit: 'grapheme-ascii', minLength: maxLength, maxLength: maxLength * 4 }),
    )
    .filter((s) => !pattern.test(s));
}

/** JSON values that are not a string matching `pattern`. */
export function notAStringMatching(pattern: RegExp, maxLength = 300): fc.Arbitrary<unknown> {
  return fc.oneof(
    stringsNotMatching(pattern, maxLength),
    fc.constantFrom(...ODD_TYPES, 0, 1, -1, 1.5),
    fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string'),
  );
}

// ---------------------------------------------------------------------------------------------
// Path ids
// ---------------------------------------------------------------------------------------------

export const unknownSaleIds = (known: readonly string[]) =>
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).filter((id) => !known.includes(id));

/**
 * Bad ids in a path. `encoded`: anything not a sale id, percent-encoded (the router decodes it back);
 * `raw`: characters as a careless client sends them — broken escapes, unicode, whole dot segments
 * (which `inject()` resolves like a browser would, landing on some other, unknown route).
 */
export function oddPathIds(idPattern: RegExp | null): fc.Arbitrary<{ segment: string; why: string }> {
  const notAnId = idPattern ? stringsNotMatching(idPattern) : fc.constantFrom(...ODD_STRINGS);
  const rawAscii = fc
    .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 80 })
    .filter((s) => !/[?#/\\]/.test(s) && !/^(\.|%2e){1,2}$/i.test(s) && !SALE_ID_PATTERN.test(s));
  return fc.oneof(
    notAnId.map((id) => ({ segment: encode(id), why: `path id ${show(id)} (encoded)` })),
    fc
      .constantFrom(
        '.',
        '..',
        '%',
        '%ZZ',
        '%E0%A4%A',
        '%00',
        '%2F',
        '..%2F..%2Fadmin',
        '日本',
        'é',
        '💥',
        '%F0%9F',
      )
      .map((raw) => ({ segment: raw, why: `path id ${show(raw)} (raw)` })),
    rawAscii.map((raw) => ({ segment: raw, why: `path id ${show(raw)} (raw)` })),
    fc
      .integer({ min: 257, max: 4000 })
      .map((n) => ({ segment: 'a'.repeat(n), why: `path id of ${n} chars` })),
  );
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Changes one character of a JWT that is not the last of its part (those may only be padding bits). */
function tamper(token: string, at: number, by: number): string {
  const positions = [...token].flatMap((c, i) =>
    c !== '.' && token[i + 1] !== '.' && i < token.length - 1 ? [i] : [],
  );
  const i = positions[at % positions.length] as number;
  const current = B64URL.indexOf(token[i] as string);
  const next = B64URL[(current + 1 + (by % (B64URL.length - 1))) % B64URL.length] as string;
  return token.slice(0, i) + next + token.slice(i + 1);
}

const sign = (payload: Record<string, unknown>, secret: string, alg = 'HS256') =>
  new SignJWT(payload).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));

export interface TokenPool {
  /** A valid user token of `user` (to tamper with or send under another scheme). */
  valid: string;
  signedByStrangers: string[];
  expired: string[];
  notYetValid: string[];
  unsigned: string[];
  otherAlgorithm: string[];
  badSubject: string[];
  oversized: string;
  adminKey: string;
  admission: string;
}

/** Tokens that look like user tokens and are not valid ones (signed here, once, before the runs). */
export async function userTokenPool(options: {
  secret: string;
  user: string;
  users: string[];
  adminKey: string;
  admission: string;
  valid: string;
}): Promise<TokenPool> {
  const { secret, users } = options;
  const now = Math.floor(Date.now() / 1000);
  const each = <T>(f: (user: string, i: number) => Promise<T>) => Promise.all(users.map(f));
  return {
    valid: options.valid,
    signedByStrangers: await each((sub, i) =>
      sign({ sub, exp: now + 3600 }, `another-secret-${i}-0123456789`),
    ),
    expired: await each((sub, i) => sign({ sub, exp: now - 1 - i * 997 }, secret)),
    notYetValid: await each((sub, i) => sign({ sub, nbf: now + 600 + i, exp: now + 3600 }, secret)),
    unsigned: users.map((sub) => new UnsecuredJWT({ sub }).setExpirationTime('1h').encode()),
    otherAlgorithm: await each((sub) => sign({ sub, exp: now + 3600 }, secret, 'HS512')),
    badSubject: await Promise.all(
      [
        {},
        { sub: 'has space' },
        { sub: '' },
        { sub: 'x'.repeat(129) },
        { sub: 42 },
        { sub: ['a'] },
        { sub: null },
      ].map((claims) => sign({ ...claims, exp: now + 3600 }, secret)),
    ),
    oversized: await sign({ sub: options.user, exp: now + 3600, pad: 'p'.repeat(4000) }, secret),
    adminKey: options.adminKey,
    admission: options.admission,
  };
}

const pick = (tokens: string[], what: string) =>
  fc.constantFrom(...tokens).map((t) => ({ value: `Bearer ${t}`, why: what }));

/** Authorization headers a buyer route must refuse with 401; null: no header at all. */
export function badUserAuth(pool: TokenPool): fc.Arbitrary<{ value: string | null; why: string }> {
  return fc.oneof(
    fc.constant({ value: null, why: 'no Authorization header' }),
    fc
      .constantFrom(
        '',
        'Bearer',
        'Bearer ',
        'Bearer     ',
        pool.valid,
        `Token ${pool.valid}`,
        `Basic ${btoa('u:p')}`,
      )
      .map((value) => ({ value, why: `Authorization ${show(value)}` })),
    fc
      .string({ unit: 'grapheme-ascii', maxLength: 300 })
      .map((garbage) => ({ value: `Bearer ${garbage}`, why: `garbage token ${show(garbage)}` })),
    fc
      .array(fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 60 }), { minLength: 3, maxLength: 3 })
      .map((parts) => ({ value: `Bearer ${parts.join('.')}`, why: 'three random base64url parts' })),
    fc
      .string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .map((s) => ({ value: `Bearer ${s}`, why: 'unicode token' })),
    fc.tuple(fc.nat(), fc.nat()).map(([at, by]) => ({
      value: `Bearer ${tamper(pool.valid, at, by)}`,
      why: `tampered token (${at}, ${by})`,
    })),
    pick(pool.signedByStrangers, 'token signed with another secret'),
    pick(pool.expired, 'expired token'),
    pick(pool.notYetValid, 'token not valid yet (nbf)'),
    pick(pool.unsigned, 'unsigned token (alg none)'),
    pick(pool.otherAlgorithm, 'token signed with HS512'),
    pick(pool.badSubject, 'token without a usable sub'),
    pick([pool.oversized], 'valid token over 4096 characters'),
    pick([pool.adminKey], 'the admin key as a user token'),
    pick([pool.admission], 'an admission token as a user token'),
  );
}

/** Authorization headers the admin API must refuse with 401. */
export function badAdminAuth(adminKey: string, userToken: string) {
  return fc.oneof(
    fc.constant({ value: null as string | null, why: 'no Authorization header' }),
    fc
      .constantFrom(
        '',
        'Bearer',
        'Bearer ',
        adminKey,
        `Token ${adminKey}`,
        `Basic ${btoa(`admin:${adminKey}`)}`,
        `Bearer ${adminKey}x`,
        `Bearer ${adminKey.slice(0, -1)}`,
        `Bearer ${adminKey.toUpperCase()}`,
        `Bearer ${userToken}`,
      )
      .map((value) => ({ value: value as string | null, why: `Authorization ${show(value)}` })),
    fc
      .string({ unit: 'grapheme-ascii', maxLength: 200 })
      .filter((s) => s.trim() !== adminKey)
      .map((s) => ({ value: `Bearer ${s}` as string | null, why: `wrong admin key ${show(s)}` })),
    fc
      .tuple(fc.nat(), fc.constantFrom(...'abcXYZ019-_'))
      .map(([at, c]) => {
        const i = at % adminKey.length;
        const key = adminKey.slice(0, i) + c + adminKey.slice(i + 1);
        return { value: `Bearer ${key}` as string | null, why: `admin key with char ${i} = ${c}` };
      })
      .filter((v) => v.value !== `Bearer ${adminKey}`),
  );
}

export interface AdmissionPool {
  valid: string;
  otherSale: string;
  otherUser: string;
  expired: string[];
  strangerKey: string[];
  userToken: string;
}

/** Signs the admission tokens the pool needs beyond those got through the waiting room. */
export async function admissionPool(options: {
  service: AdmissionTokens;
  stranger: AdmissionTokens;
  userId: string;
  saleId: string;
  valid: string;
  otherSale: string;
  otherUser: string;
  userToken: string;
}): Promise<AdmissionPool> {
  const { service, stranger, userId, saleId } = options;
  const now = Date.now();
  const ages = [1000, 60_000, 3_600_000, 86_400_000];
  return {
    valid: options.valid,
    otherSale: options.otherSale,
    otherUser: options.otherUser,
    expired: await Promise.all(ages.map((age) => service.sign({ userId, saleId, expiresAt: now - age }))),
    strangerKey: await Promise.all(
      ages.map((age) => stranger.sign({ userId, saleId, expiresAt: now + age })),
    ),
    userToken: options.userToken,
  };
}

/** X-Admission-Token values checkout must refuse with 403; null: no header. */
export function badAdmission(pool: AdmissionPool): fc.Arbitrary<{ value: string | null; why: string }> {
  return fc.oneof(
    fc.constant({ value: null as string | null, why: 'no X-Admission-Token' }),
    fc
      .constantFrom('', ' ', 'null', 'undefined')
      .map((value) => ({ value, why: `X-Admission-Token ${show(value)}` })),
    fc
      .string({ unit: 'grapheme-ascii', maxLength: 300 })
      .map((value) => ({ value, why: 'garbage admission token' })),
    fc.constant({ value: pool.otherSale, why: "the buyer's admission token of another sale" }),
    fc.constant({ value: pool.otherUser, why: "another buyer's admission token" }),
    fc.constantFrom(...pool.expired).map((value) => ({ value, why: 'expired admission token' })),
    fc
      .constantFrom(...pool.strangerKey)
      .map((value) => ({ value, why: 'admission token signed with another key' })),
    fc.constant({ value: pool.userToken, why: 'the user token as admission token' }),
    fc.constant({ value: `${pool.valid}${'A'.repeat(4100)}`, why: 'admission token over 4096 characters' }),
    fc.tuple(fc.nat(), fc.nat()).map(([at, by]) => ({
      value: tamper(pool.valid, at, by),
      why: `tampered admission token (${at}, ${by})`,
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

const JSON_TYPE = 'application/json';
const notJson = (s: string) => {
  if (s.startsWith('\uFEFF')) return false;
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
};

const OTHER_MEDIA_TYPES = [
  'application/xml',
  'text/html',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/jsonx',
  'application/json-patch',
  'json',
  '*/*',
  ';',
  '%%%',
  'application/',
];

/**
 * The body's transport made bad: malformed or empty JSON, prototype poisoning, a media type that is
 * not JSON, no media type, a body over the limit. `validBody` is the route's valid body (JSON text) or
 * null for routes without one. Routes without a body schema take any text/plain body, so only a
 * route with one (`schema`) is sent text/plain.
 */
export function badTransport(
  validBody: string | null,
  limitBytes: number,
  schema: boolean,
): fc.Arbitrary<Change> {
  const body = validBody ?? '{}';
  const changes: fc.Arbitrary<Change>[] = [
    fc.nat({ max: body.length - 1 }).map((n) => ({
      why: `JSON cut after ${n} chars`,
      codes: ['INVALID_REQUEST'],
      headers: { 'content-type': JSON_TYPE },
      payload: body.slice(0, n),
    })),
    fc
      .oneof(
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 200 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }),
        fc.constantFrom(
          "{'quantity': 1}",
          '{"a":1,}',
          '{"a":NaN}',
          '{"a":Infinity}',
          '{"a":01}',
          '{"a":.5}',
          '{"a":undefined}',
          '{a:1}',
          '[1,2',
          '{"a":"\\x41"}',
          '{"a":1}{"b":2}',
          '\u0000',
          '{"a":"\u0001"}',
        ),
      )
      .filter(notJson)
      .map((payload) => ({
        why: `malformed JSON ${show(payload)}`,
        codes: ['INVALID_REQUEST'],
        headers: { 'content-type': JSON_TYPE },
        payload,
      })),
    fc.constantFrom('', ' ', '\n').map((payload) => ({
      why: `blank JSON body ${show(payload)}`,
      // Whitespace only is not empty to Fastify: JSON.parse fails on it.
      codes: ['INVALID_REQUEST'],
      headers: { 'content-type': JSON_TYPE },
      payload,
    })),
    fc
      .constantFrom(
        `{"__proto__":{"admin":true}}`,
        `{"constructor":{"prototype":{"admin":true}}}`,
        body.replace(/^\{/, '{"__proto__":{"quantity":1},'),
      )
      .map((payload) => ({
        why: `prototype poisoning ${show(payload)}`,
        codes: ['INVALID_REQUEST'],
        headers: { 'content-type': JSON_TYPE },
        payload,
      })),
    fc
      .tuple(fc.constantFrom(...OTHER_MEDIA_TYPES), fc.constantFrom(body, 'a=1', '<a/>'))
      .map(([type, payload]) => ({
        why: `Content-Type ${show(type)}`,
        codes: ['UNSUPPORTED_MEDIA_TYPE'],
        headers: { 'content-type': type },
        payload,
      })),
    fc
      .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 })
      .filter((t) => !/json|text\/plain/i.test(t))
      .map((type) => ({
        why: `Content-Type ${show(type)}`,
        codes: ['UNSUPPORTED_MEDIA_TYPE'],
        headers: { 'content-type': type },
        payload: body,
      })),
    fc.constantFrom(body, 'x').map((payload) => ({
      why: 'a body without Content-Type',
      codes: ['UNSUPPORTED_MEDIA_TYPE'],
      headers: { 'content-type': null },
      payload,
    })),
    fc.tuple(fc.integer({ min: limitBytes + 1, max: limitBytes * 4 }), fc.boolean()).map(([size, asJson]) => {
      const pad = `${body.slice(0, -1)}${body.length > 2 ? ',' : ''}"pad":"`;
      const payload = asJson ? `${pad}${'x'.repeat(size - pad.length - 2)}"}` : 'x'.repeat(size);
      return {
        why: `body of ${payload.length} bytes (limit ${limitBytes})`,
        codes: ['PAYLOAD_TOO_LARGE'],
        headers: { 'content-type': JSON_TYPE },
        payload,
      };
    }),
  ];
  if (schema) {
    changes.push(
      fc.constantFrom(body, 'quantity=1').map((payload) => ({
        why: 'JSON sent as text/plain',
        codes: ['INVALID_REQUEST'],
        headers: { 'content-type': 'text/plain' },
        payload,
      })),
      fc
        .oneof(
          fc.constantFrom(null, true, 0, 1, '', 'body', []),
          fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
          fc.string({ maxLength: 40 }),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
        )
        .map((value) => ({
          why: `body ${show(value)} is not an object`,
          codes: ['INVALID_REQUEST'],
          headers: { 'content-type': JSON_TYPE },
          payload: JSON.stringify(value),
        })),
    );
  }
  return fc.oneof(...changes);
}

/** One field of a JSON body made bad; `codesOf` says what that value may answer. */
export function badField(
  valid: Record<string, unknown>,
  field: string,
  values: fc.Arbitrary<unknown>,
  codesOf: (value: unknown) => readonly ErrorCode[] = () => ['INVALID_REQUEST'],
): fc.Arbitrary<Change> {
  return values.map((value) => ({
    why: `${field} = ${show(value)}`,
    codes: codesOf(value),
    payload: JSON.stringify(setPath(valid, field, value)),
  }));
}

function setPath(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...body, [head]: value };
  return { ...body, [head]: setPath((body[head] ?? {}) as Record<string, unknown>, rest.join('.'), value) };
}

/** A required field left out, or a property the schema does not know added. */
export function missingOrExtra(valid: Record<string, unknown>, required: string[], nested: string[] = []) {
  const known = new Set(Object.keys(valid));
  return fc.oneof(
    fc.subarray(required, { minLength: 1 }).map((gone) => ({
      why: `without ${gone.join(', ')}`,
      codes: ['INVALID_REQUEST'] as const,
      payload: JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([k]) => !gone.includes(k)))),
    })),
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom('admin', 'price', 'userId', 'constructor', 'toString', 'Quantity', ''),
          fc.string(),
        ),
        fc.jsonValue({ maxDepth: 1 }),
        fc.constantFrom('', ...nested),
      )
      .filter(([key, , at]) => (at === '' ? !known.has(key) : !Object.hasOwn(valid[at] as object, key)))
      .map(([key, value, at]) => ({
        why: `extra property ${show(key)} ${at ? `in ${at}` : ''}`,
        codes: ['INVALID_REQUEST'] as const,
        payload: JSON.stringify(
          at === '' ? { ...valid, [key]: value } : setPath(valid, `${at}.${key}`, value),
        ),
      })),
    // A later duplicate wins in JSON.parse: a value no field takes, after a good one.
    fc.tuple(fc.constantFrom(...required), fc.constantFrom(null, true, [], {})).map(([key, bad]) => ({
      why: `duplicate ${key}, the last ${show(bad)}`,
      codes: ['INVALID_REQUEST'] as const,
      payload: `${JSON.stringify(valid).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(bad)}}`,
    })),
  );
}

/** JSON number literals (raw text) for a field, kept only when they parse to a value outside [min, max]. */
export function rawNumberLiterals(valid: Record<string, unknown>, field: string, min: number, max: number) {
  const placeholder = '"@@raw@@"';
  const template = JSON.stringify({ ...valid, [field]: '@@raw@@' });
  return fc
    .oneof(
      fc.constantFrom('1e400', '-1e400', '-0', '0.0', '1e-7', '9007199254740993', '1E3', '-1.5e2', '0.5e1'),
      fc
        .tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -400, max: 400 }))
        .map(([m, e]) => `${m}e${e}`),
    )
    .filter((literal) => {
      const value = JSON.parse(literal) as number;
      return !(Number.isInteger(value) && value >= min && value <= max) && !Object.is(value, -0);
    })
    .map((literal) => ({ literal, payload: template.replace(placeholder, literal) }));
}

// ---------------------------------------------------------------------------------------------
// Wrong methods and anything at all
// ---------------------------------------------------------------------------------------------

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** A method no route has on this path: 404 NOT_FOUND (HEAD is GET's and left out). */
export function wrongMethod(own: readonly string[]): fc.Arbitrary<Change> {
  return fc.constantFrom(...METHODS.filter((m) => !own.includes(m))).map((method) => ({
    why: `method ${method}`,
    codes: ['NOT_FOUND'],
    method,
    headers: { 'content-type': null },
    payload: null,
  }));
}

const SEGMENTS = [
  'api',
  'v1',
  'admin',
  'sales',
  'queue',
  'checkout',
  'orders',
  'visitors',
  'healthz',
  'readyz',
  '.well-known',
  'jwks.json',
  'start',
  'pause',
  'resume',
  'end',
  'stats',
  'openapi.json',
  '%',
  '%2F',
  '%ZZ',
  '',
];

/**
 * Any request at all, with no valid credential: random method, path (known segments, sale ids,
 * random text), headers and body. Anything it may answer besides a 4xx is checked by the suite.
 */
export function anyRequest(saleIds: string[]): fc.Arbitrary<BadRequest> {
  const segment = fc.oneof(
    { arbitrary: fc.constantFrom(...SEGMENTS), weight: 6 },
    { arbitrary: fc.constantFrom(...saleIds), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map(encode), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 10 }).map(encode), weight: 1 },
  );
  const path = fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => `/${s.join('/')}`),
    fc
      .tuple(
        fc.constantFrom('/api/v1/sales/', '/api/v1/admin/sales/', '/api/v1/orders/'),
        fc.array(segment, { maxLength: 2 }),
      )
      .map(([prefix, s]) => `${prefix}${s.join('/')}`),
  );
  const query = fc.option(
    fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((q) => `?${encode(q)}`),
    {
      nil: '',
    },
  );
  const header = fc.string({ unit: 'grapheme-ascii', maxLength: 100 });
  const headers = fc.record(
    {
      authorization: fc.oneof(
        header,
        header.map((h) => `Bearer ${h}`),
      ),
      'content-type': fc.oneof(fc.constantFrom(JSON_TYPE, 'text/plain', 'application/xml'), header),
      'idempotency-key': header,
      'x-admission-token': header,
      'if-none-match': header,
    },
    { requiredKeys: [] },
  );
  const payload = fc.option(
    fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    ),
    { nil: undefined },
  );
  return fc
    .record({ method: fc.constantFrom(...METHODS, 'HEAD'), path, query, headers, payload })
    .map(({ method, path, query, headers, payload }) => ({
      why: 'random request',
      codes: [],
      method,
      url: `${path}${query}`,
      headers: headers as Record<string, string>,
      ...(payload !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload } : {}),
    }));
}

const ROUTE_WORDS = ['queue', 'checkout', 'stats', 'start', 'pause', 'resume', 'end', '.', '..'];

/** Paths next to a route's own: a suffix, a trailing slash, another case, a broken escape. */
export function otherPaths(path: string): fc.Arbitrary<Change> {
  const variants = [
    `${path}/`,
    `${path}/x`,
    `${path}.json`,
    `${path}x`,
    path.toUpperCase(),
    `${path}%`,
    `${path}%2F`,
    `${path}/%2e%2e%2F`,
    `${path};x`,
    `${path}%00`,
  ];
  return fc
    .oneof(
      fc.constantFrom(...variants.filter((v) => v !== path)),
      fc
        .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 })
        .filter((s) => !ROUTE_WORDS.includes(s))
        .map((s) => `${path}/${encode(s)}`),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).map((s) => `${path}${encode(s)}`),
    )
    .map((url) => ({ why: `path ${url}`, codes: ['NOT_FOUND', 'INVALID_REQUEST', 'SALE_NOT_FOUND'], url }));
}
