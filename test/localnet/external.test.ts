import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { checkExternalBackend, ExternalBackendError, statusModel } from "../../src/localnet/external.js";
import { parseScenario } from "../../src/localnet/index.js";

const MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8";
let reference: ReferenceBackend;
let vllmLike: Server;
let vllmUrl: string;

beforeAll(async () => {
  reference = await startReferenceBackend({ profile: "h100-fp8", model: MODEL });
  // A server shaped like a vLLM PoC deployment whose status names no model: /v1/models lists it.
  vllmLike = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/api/v1/pow/status") return res.end(JSON.stringify({ status: "OK", state: "idle" }));
    if (req.url === "/v1/models") return res.end(JSON.stringify({ object: "list", data: [{ id: MODEL }] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((resolve) => vllmLike.listen(0, "127.0.0.1", resolve));
  vllmUrl = `http://127.0.0.1:${(vllmLike.address() as { port: number }).port}`;
});
afterAll(async () => {
  await reference.stop();
  await new Promise<void>((resolve) => vllmLike.close(() => resolve()));
});

async function closedPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe("checkExternalBackend", () => {
  it("accepts a backend whose status states the scenario's model, and names the one that differs", async () => {
    await expect(checkExternalBackend("gpu-1", reference.url, MODEL)).resolves.toBeUndefined();
    await expect(checkExternalBackend("gpu-1", reference.url, "other/model")).rejects.toThrow(
      `machine gpu-1: ${reference.url} serves model "${MODEL}", the scenario's is "other/model"`,
    );
  });

  it("falls back to /v1/models when the status names no model", async () => {
    await expect(checkExternalBackend("vllm", vllmUrl, MODEL)).resolves.toBeUndefined();
    await expect(checkExternalBackend("vllm", vllmUrl, "x/y")).rejects.toThrow(
      /serves "Qwen\/.*", not the scenario's "x\/y"/,
    );
  });

  it("refuses a URL where nothing answers, naming the machine", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await checkExternalBackend("gone", url, MODEL, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalBackendError);
    expect((err as Error).message).toMatch(new RegExp(`^machine gone: ${url} does not answer GET /api/v1/pow/status`));
  });

  it("reads the model from model, model_name or params.model", () => {
    expect(statusModel({ model: "a" })).toBe("a");
    expect(statusModel({ model_name: "b" })).toBe("b");
    expect(statusModel({ params: { model: "c" } })).toBe("c");
    expect(statusModel({ status: "OK" })).toBeUndefined();
  });
});

describe("scenario machines with url", () => {
  const base = {
    name: "ext",
    timing: { stageLength: 56, stageOffset: 0, commitWindow: 16, validationWindow: 32 },
    validators: [{ name: "v", stake: 1, machine: "gpu" }],
    participants: [{ name: "p", machine: "gpu", nonces: 10, expect: { verdict: "HONEST" } }],
  };
  it("takes a url instead of a profile, and refuses both or neither", () => {
    const s = parseScenario({ ...base, machines: [{ name: "gpu", url: "http://10.0.0.5:8000" }] }, "ext.json");
    expect(s.machines[0]!.url).toBe("http://10.0.0.5:8000");
    expect(() =>
      parseScenario(
        { ...base, machines: [{ name: "gpu", url: "http://10.0.0.5:8000", profile: "h100-fp8" }] },
        "x.json",
      ),
    ).toThrow(/machines\.0.*exactly one of profile and url/);
    expect(() => parseScenario({ ...base, machines: [{ name: "gpu" }] }, "x.json")).toThrow(
      /exactly one of profile and url/,
    );
  });
});
