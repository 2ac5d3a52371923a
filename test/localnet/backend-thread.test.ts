// The localnet's reference backends on worker threads: each answers as the in-process backend
// would (the same vectors, f16 on the wire), stops on request, and a bad profile fails by name.
import { afterAll, describe, expect, it } from "vitest";
import { createBackendClient, DEFAULT_POC_PARAMS, referenceVector } from "../../src/backend/index.js";
import { decodeVector, encodeVector } from "../../src/core/index.js";
import { type BackendThread, BackendThreadError, startBackendThread } from "../../src/localnet/backend-thread.js";

describe("startBackendThread", () => {
  const started: BackendThread[] = [];
  afterAll(async () => {
    await Promise.all(started.map((b) => b.stop()));
  });

  it("serves the profile's vectors from its own thread, and stops", async () => {
    const backend = await startBackendThread({ profile: "h100-fp8", machineId: "v0" });
    started.push(backend);
    const client = createBackendClient({ url: backend.url });
    const blockHash = "ab".repeat(32);
    const nonces = [0, 7, 42];
    const answer = await client.generate({
      blockHash,
      blockHeight: 10,
      publicKey: "pk",
      nonces,
      params: DEFAULT_POC_PARAMS,
    });
    expect(answer.map((a) => a.nonce)).toEqual(nonces);
    for (const [i, a] of answer.entries()) {
      const expected = referenceVector({
        blockHash,
        publicKey: "pk",
        nonce: nonces[i]!,
        ...DEFAULT_POC_PARAMS,
        profile: "h100-fp8",
        machineId: "v0",
      });
      // The wire carries f16: the same round trip on the expected vector gives the same numbers.
      expect([...a.vector]).toEqual([...decodeVector(encodeVector(expected), expected.length)]);
    }
    await backend.stop();
    await expect(fetch(`${backend.url}/api/v1/pow/status`)).rejects.toThrow();
  });

  it("refuses an unknown profile, naming it", async () => {
    const failed = startBackendThread({ profile: "no-such-gpu" });
    await expect(failed).rejects.toBeInstanceOf(BackendThreadError);
    await expect(failed).rejects.toThrow(/no-such-gpu/);
  });
});
