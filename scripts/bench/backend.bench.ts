import { createBackendClient, referenceVector, startReferenceBackend, vectorSource } from "../../src/backend/index.js";
import { sha256, vectorToBase64 } from "../../src/core/index.js";
import { fmt, timeMs } from "./util.js";

const base = {
  blockHash: "7e".repeat(32),
  publicKey: "bench-participant",
  model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
  seqLen: 1024,
  kDim: 12,
};

/**
 * The reference backend's cost: vectors per second against the SHA-256 floor (the hashes a
 * vector needs), and generation over HTTP (client + server) against the same vectors in-process.
 */
export async function bench(): Promise<void> {
  const n = 20_000;
  // An FP8 vector hashes 4 blocks (2 shared: true vector and sensitivity, 2 machine noise) of ~150-byte messages.
  const message = new Uint8Array(150);
  for (let i = 0; i < 2000; i++) referenceVector({ ...base, nonce: i, profile: "h100-fp8" }); // warm up
  const floorMs = await timeMs(() => {
    for (let i = 0; i < n * 4; i++) {
      message[0] = i & 0xff;
      sha256(message);
    }
  });
  const vectorMs = await timeMs(() => {
    for (let i = 0; i < n; i++) referenceVector({ ...base, nonce: i, profile: "h100-fp8" });
  });
  const vectorOf = vectorSource({ ...base, profile: "h100-fp8" });
  const sourceMs = await timeMs(() => {
    for (let i = 0; i < n; i++) vectorOf(i);
  });
  const inProcessMs = await timeMs(() => {
    for (let i = 0; i < n; i++) vectorToBase64(vectorOf(i));
  });
  console.log(
    `referenceVector (h100-fp8, k_dim 12): ${fmt((n / vectorMs) * 1000, 0)} vectors/s, ${fmt(vectorMs / floorMs)}x the SHA-256 floor of 4 hashes per vector`,
  );
  console.log(
    `vectorSource (per-run work once):     ${fmt((n / sourceMs) * 1000, 0)} vectors/s, ${fmt(sourceMs / floorMs)}x the floor`,
  );

  const backend = await startReferenceBackend({ profile: "h100-fp8" });
  try {
    const nonces = Array.from({ length: n }, (_, i) => i);
    const request = {
      blockHash: base.blockHash,
      blockHeight: 1,
      publicKey: base.publicKey,
      nonces,
      params: { model: base.model, seqLen: base.seqLen, kDim: base.kDim },
    };
    const waitClient = createBackendClient({ url: backend.url, batchSize: 1000, concurrency: 2 });
    await waitClient.generate({ ...request, nonces: nonces.slice(0, 2000) }); // warm up
    const waitMs = await timeMs(() => waitClient.generate(request));
    const pollClient = createBackendClient({
      url: backend.url,
      batchSize: 1000,
      concurrency: 2,
      wait: false,
      pollIntervalMs: 5,
    });
    const pollMs = await timeMs(() => pollClient.generate(request));
    console.log(
      `generate ${n} nonces over HTTP, wait: true:  ${fmt(waitMs, 0)} ms (${fmt(waitMs / inProcessMs)}x the same vectors in-process)`,
    );
    console.log(
      `generate ${n} nonces over HTTP, wait: false: ${fmt(pollMs, 0)} ms (${fmt(pollMs / waitMs)}x wait: true)`,
    );

    // The throughput cap: 5,000 nonces at 20,000 nonces/s take about 250 ms unless the CPU is slower.
    const few = { ...request, nonces: nonces.slice(0, 5000) };
    const uncappedMs = await timeMs(() => waitClient.generate(few));
    const capped = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 20_000 });
    try {
      const cappedMs = await timeMs(() => createBackendClient({ url: capped.url, batchSize: 1000 }).generate(few));
      const floor = Math.max(250, uncappedMs);
      console.log(
        `5000 nonces under a 20,000 nonces/s cap: ${fmt(cappedMs, 0)} ms (${fmt(cappedMs / floor)}x max(250 ms the cap implies, ${fmt(uncappedMs, 0)} ms uncapped))`,
      );
    } finally {
      await capped.stop();
    }
  } finally {
    await backend.stop();
  }
}
