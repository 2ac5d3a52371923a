import { describe, expect, it } from "vitest";
import { startAnvil } from "../../src/evm/index.js";

async function rpc(url: string, method: string): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe("startAnvil", () => {
  it("runs anvil on a loopback port it picks and stops it", async () => {
    const anvil = await startAnvil({ accounts: 2 });
    expect(anvil.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await rpc(anvil.rpcUrl, "eth_chainId")).toBe("0x7a69");
    const accounts = (await rpc(anvil.rpcUrl, "eth_accounts")) as string[];
    // anvil funds the Ethereum HD path of its mnemonic: account 0 of "test ... junk".
    expect(accounts[0]?.toLowerCase()).toBe("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    await anvil.stop();
    await expect(rpc(anvil.rpcUrl, "eth_chainId")).rejects.toThrow();
  }, 60_000);
});
