// The block time as the sidecar sees it: the median time per block over the last heights it was
// told about. A median, so that a jump of many blocks at once (a node catching up, a localnet
// fast-forwarding idle blocks) or one long pause does not skew the estimate of the next blocks.

/** A running estimate of the chain's block time from the heights seen and when. */
export interface BlockRate {
  /** A height seen at atMs (wall clock); heights not above the last one are ignored. */
  observe(height: bigint, atMs: number): void;
  /** The median ms per block over the recent samples; undefined with fewer than minSamples. */
  blockMs(minSamples?: number): number | undefined;
}

/**
 * @example const rate = createBlockRate(); rate.observe(10n, 0); rate.observe(11n, 500); rate.blockMs() // 500
 */
export function createBlockRate(window = 16): BlockRate {
  let last: { height: bigint; atMs: number } | undefined;
  const samples: number[] = [];
  return {
    observe(height, atMs) {
      if (last !== undefined && height <= last.height) return;
      if (last !== undefined) {
        samples.push((atMs - last.atMs) / Number(height - last.height));
        if (samples.length > window) samples.shift();
      }
      last = { height, atMs };
    },
    blockMs(minSamples = 1) {
      if (samples.length < minSamples) return undefined;
      const sorted = [...samples].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    },
  };
}
