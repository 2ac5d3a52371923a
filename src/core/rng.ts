// The one seedable PRNG (Monte Carlo simulations, injected faults): xoshiro128** (Blackman and Vigna),
// seeded through splitmix32 so that nearby seeds give unrelated streams. Not for secrets.

/** A deterministic stream of random numbers. */
export interface Rng {
  /** The next uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** The next uniform real in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Fills `out` with the next out.length values of nextUint32, in order (the fast path for bulk draws). */
  fill(out: Uint32Array): void;
}

/**
 * A seeded xoshiro128** generator: the same seed always gives the same stream.
 * @example createRng(1).nextFloat() // the same value on every run
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  // splitmix32 over both 32-bit halves of the seed fills the 128-bit state.
  let sm = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1;
  const nextUint32 = (): number => {
    const t = b << 9;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };
  const fill = (out: Uint32Array): void => {
    // The same step as nextUint32 on local copies of the state: no call per value.
    let s0 = a;
    let s1 = b;
    let s2 = c;
    let s3 = d;
    for (let i = 0; i < out.length; i++) {
      const t = s1 << 9;
      const r = Math.imul(s1, 5);
      out[i] = Math.imul((r << 7) | (r >>> 25), 9);
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    a = s0;
    b = s1;
    c = s2;
    d = s3;
  };
  return {
    nextUint32,
    fill,
    nextFloat: () => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992,
  };
}
