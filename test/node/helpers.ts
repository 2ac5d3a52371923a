import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, type StargateClient } from "@cosmjs/stargate";
import { BECH32_PREFIX, createPocvalRegistry, DEFAULT_GAS_PRICE } from "../../src/client/index.js";
import type { KeyFile } from "../../src/node/index.js";

/** A fresh temporary directory; `home` inside it does not exist yet. */
export async function tempHome(): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "pocval-node-"));
  return { home: join(dir, "home"), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const keyNamed = (keys: KeyFile[], name: string): KeyFile => {
  const key = keys.find((k) => k.name === name);
  if (!key) throw new Error(`no key ${name}`);
  return key;
};

/** A cosmjs signing client for a key file, as any Cosmos user would build one. */
export async function signingClient(rpcUrl: string, key: KeyFile): Promise<SigningStargateClient> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(key.mnemonic, { prefix: BECH32_PREFIX });
  return SigningStargateClient.connectWithSigner(rpcUrl, wallet, {
    registry: createPocvalRegistry(),
    gasPrice: GasPrice.fromString(DEFAULT_GAS_PRICE),
    broadcastPollIntervalMs: 100,
  });
}

/** Polls the chain height until it reaches target. */
export async function waitForHeight(client: StargateClient, target: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await client.getHeight();
    if (h >= target) return h;
    if (Date.now() > deadline) throw new Error(`height ${h} did not reach ${target} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Raw JSON-RPC over HTTP POST, for the requests cosmjs would never send. */
export async function rpcPost(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
