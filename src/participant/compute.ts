// How a participant obtains vectors for a stage: its backend with its own key (honest), a
// quantized model (int4), or its backend with someone else's key (replay).
import { referenceVector } from "../backend/index.js";
import { encodeVector, fromBase64, PocvalError } from "../core/index.js";
import type { CheatStrategy } from "./cheat.js";
import type { ComputeVectors } from "./generate.js";

/** The part of the backend client (src/backend) the participant uses. */
export interface VectorBackend {
  generate(
    req: {
      blockHash: string;
      blockHeight: number;
      publicKey: string;
      nonces: number[];
      params: { model: string; seqLen: number; kDim: number };
    },
    opts?: { signal?: AbortSignal },
  ): Promise<{ nonce: number; vectorB64: string }[]>;
}

/** Inputs that fix a stage's vectors. */
export interface StageInputs {
  stageHeight: number;
  /** The generation seed: lower-case hex block hash of the stage height. */
  generationSeed: string;
  model: string;
  seqLen: number;
  kDim: number;
}

/** A backend answer that does not cover the nonces asked. */
export class BackendAnswerError extends PocvalError {
  override name = "BackendAnswerError";
}

function fromBackend(
  backend: VectorBackend,
  stage: StageInputs,
  publicKey: string,
  signal: AbortSignal | undefined,
): ComputeVectors {
  return async (nonces) => {
    const artifacts = await backend.generate(
      {
        blockHash: stage.generationSeed,
        blockHeight: stage.stageHeight,
        publicKey,
        nonces,
        params: { model: stage.model, seqLen: stage.seqLen, kDim: stage.kDim },
      },
      { signal },
    );
    const byNonce = new Map(artifacts.map((a) => [a.nonce, a.vectorB64]));
    return nonces.map((nonce) => {
      const b64 = byNonce.get(nonce);
      if (b64 === undefined)
        throw new BackendAnswerError(`backend answer lacks nonce ${nonce} (stage ${stage.stageHeight})`);
      return fromBase64(b64, `artifacts[nonce=${nonce}].vector_b64`);
    });
  };
}

/** Vectors of the reference backend's `int4` profile computed in-process: a cheaper quantized model. */
function localInt4(stage: StageInputs, publicKey: string, machineId: string): ComputeVectors {
  return async (nonces) =>
    nonces.map((nonce) =>
      encodeVector(
        referenceVector({
          blockHash: stage.generationSeed,
          publicKey,
          nonce,
          model: stage.model,
          seqLen: stage.seqLen,
          kDim: stage.kDim,
          profile: "int4",
          machineId,
        }),
      ),
    );
}

/**
 * The compute path of a strategy for one stage.
 * @param opts.int4Backend a backend serving an INT4 model; without one int4 computes locally
 * @param opts.replayPublicKey whose vectors `replay` reuses
 */
export function strategyCompute(
  strategy: CheatStrategy,
  stage: StageInputs,
  opts: {
    backend: VectorBackend;
    publicKey: string;
    int4Backend?: VectorBackend;
    replayPublicKey: string;
    machineId: string;
    signal?: AbortSignal;
  },
): ComputeVectors {
  switch (strategy.kind) {
    case "int4":
      return opts.int4Backend
        ? fromBackend(opts.int4Backend, stage, opts.publicKey, opts.signal)
        : localInt4(stage, opts.publicKey, opts.machineId);
    case "replay":
      return fromBackend(opts.backend, stage, opts.replayPublicKey, opts.signal);
    default:
      return fromBackend(opts.backend, stage, opts.publicKey, opts.signal);
  }
}
