import { describe, expect, it } from "vitest";
import { referenceVector } from "../../src/backend/profiles.js";
import { encodeVector } from "../../src/core/index.js";
import { BackendAnswerError, strategyCompute, type VectorBackend } from "../../src/participant/compute.js";
import { profileBackend, STAGE } from "./helpers.js";

const opts = (backend: VectorBackend, extra: Partial<Parameters<typeof strategyCompute>[2]> = {}) => ({
  backend,
  publicKey: "own-key",
  replayPublicKey: "other-key",
  machineId: "m",
  ...extra,
});
const expected = (publicKey: string, nonce: number, profile: string, machineId: string) =>
  encodeVector(
    referenceVector({
      blockHash: STAGE.generationSeed,
      publicKey,
      nonce,
      model: STAGE.model,
      seqLen: STAGE.seqLen,
      kDim: STAGE.kDim,
      profile,
      machineId,
    }),
  );

describe("strategy compute paths", () => {
  const fp8 = profileBackend("h100-fp8", "0");

  it("asks the backend with the participant's key, or another key for replay", async () => {
    const honest = await strategyCompute({ kind: "honest" }, STAGE, opts(fp8))([3, 1]);
    expect(honest).toEqual([expected("own-key", 3, "h100-fp8", "0"), expected("own-key", 1, "h100-fp8", "0")]);
    const replay = await strategyCompute({ kind: "replay" }, STAGE, opts(fp8))([3]);
    expect(replay).toEqual([expected("other-key", 3, "h100-fp8", "0")]);
  });

  it("computes int4 in-process without an INT4 backend, and on it when configured", async () => {
    const local = await strategyCompute({ kind: "int4" }, STAGE, opts(fp8))([2]);
    expect(local).toEqual([expected("own-key", 2, "int4", "m")]);
    const int4Backend = profileBackend("h100-int4", "9");
    const remote = await strategyCompute({ kind: "int4" }, STAGE, opts(fp8, { int4Backend }))([2]);
    expect(remote).toEqual([expected("own-key", 2, "h100-int4", "9")]);
  });

  it("refuses a backend answer that lacks a nonce, naming it", async () => {
    const lossy: VectorBackend = { generate: async (req) => (await fp8.generate(req)).slice(1) };
    await expect(strategyCompute({ kind: "honest" }, STAGE, opts(lossy))([4, 5])).rejects.toThrow(BackendAnswerError);
    await expect(strategyCompute({ kind: "honest" }, STAGE, opts(lossy))([4, 5])).rejects.toThrow(/lacks nonce 4/);
  });
});
