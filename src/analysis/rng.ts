// A small seedable PRNG for the Monte Carlo simulations: xoshiro128** (Blackman and Vigna),
// seeded through splitmix32 so that nearby seeds give unrelated streams. Not for secrets.

/** A deterministic stream of random numbers. */
export interface Rng {
  /** The next uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** The next uniform real in [0, 1) with 53 random bits. */
  nextFloat(): number;
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
  return {
    nextUint32,
    nextFloat: () => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992,
  };
}
