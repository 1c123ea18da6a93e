// Solves a proof-of-work challenge off the page's thread (see the API docs, POST …/challenge): finds
// a counter such that SHA-256 of `<challenge>.<counter>` begins with `difficulty` zero bits. SHA-256
// is written out here rather than taken from crypto.subtle: one await per hash would cost more than
// the hash, and the challenge's fixed prefix is hashed once (its full blocks), so each try costs one
// or two compressions of the last block only.
// In: {challenge, difficulty}. Out: {tried} now and then, then {solution, tried}.

// Int32Array throughout: values stay small integers for the JIT (a Uint32Array hands out doubles).
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const w = new Int32Array(64);

/** One SHA-256 compression of the 64 bytes of `bytes` at `offset` into `state`. */
function compress(state, bytes, offset) {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (((w[i - 16] + s0) | 0) + ((w[i - 7] + s1) | 0)) | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (((((h + s1) | 0) + ((e & f) ^ (~e & g))) | 0) + ((K[i] + w[i]) | 0)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** Leading zero bits of a digest given as its eight 32-bit words. */
function zeroBits(state) {
  let bits = 0;
  for (const word of state) {
    if (word !== 0) return bits + Math.clz32(word);
    bits += 32;
  }
  return bits;
}

const REPORT_EVERY = 1 << 15;

function solve(challenge, difficulty) {
  const prefix = new TextEncoder().encode(`${challenge}.`);
  const midstate = INITIAL.slice();
  const full = prefix.length - (prefix.length % 64);
  for (let offset = 0; offset < full; offset += 64) compress(midstate, prefix, offset);
  const tail = new Uint8Array(128);
  tail.set(prefix.subarray(full));
  const rest = prefix.length - full;
  const state = new Int32Array(8);
  for (let counter = 0; ; counter++) {
    const digits = String(counter);
    let length = rest;
    for (let i = 0; i < digits.length; i++) tail[length++] = digits.charCodeAt(i);
    const blocks = length + 9 <= 64 ? 1 : 2;
    tail[length] = 0x80;
    tail.fill(0, length + 1, blocks * 64 - 4);
    // The message length in bits, big-endian, in the last 8 bytes (the high word is 0 below 512 MiB).
    const bitLength = (prefix.length + digits.length) * 8;
    const end = blocks * 64;
    tail[end - 4] = bitLength >>> 24;
    tail[end - 3] = bitLength >>> 16;
    tail[end - 2] = bitLength >>> 8;
    tail[end - 1] = bitLength;
    state.set(midstate);
    compress(state, tail, 0);
    if (blocks === 2) compress(state, tail, 64);
    if (zeroBits(state) >= difficulty) return { solution: `${challenge}.${digits}`, tried: counter + 1 };
    if ((counter + 1) % REPORT_EVERY === 0) postMessage({ tried: counter + 1 });
  }
}

addEventListener('message', (event) => {
  const { challenge, difficulty } = event.data;
  postMessage(solve(challenge, difficulty));
});
