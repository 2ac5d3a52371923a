// Where `query` and `dashboard` read the chain (src/cli/chain-flags.ts): one set of rules and
// messages for --node, --evm-rpc and --contract.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/args.js";
import { chainSourceFlags } from "../../src/cli/chain-flags.js";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("chainSourceFlags", () => {
  it("reads --node or --evm-rpc with --contract", () => {
    expect(chainSourceFlags({ node: "ws://127.0.0.1:26657" })).toEqual({ nodeUrl: "ws://127.0.0.1:26657" });
    expect(chainSourceFlags({ "evm-rpc": "http://127.0.0.1:8545", contract: CONTRACT })).toEqual({
      evm: { rpcUrl: "http://127.0.0.1:8545", contract: CONTRACT },
    });
  });

  it("takes a contract address in any case, checksummed or not", () => {
    for (const contract of [CONTRACT.toLowerCase(), CONTRACT.toUpperCase().replace("0X", "0x"), CONTRACT]) {
      expect(chainSourceFlags({ "evm-rpc": "https://rpc.example", contract })).toEqual({
        evm: { rpcUrl: "https://rpc.example", contract },
      });
    }
  });

  it.each([
    [{}, /give --node URL \(Cosmos\) or --evm-rpc URL --contract ADDR/],
    [{ contract: CONTRACT }, /--contract goes with --evm-rpc/],
    [{ node: "http://a:1", "evm-rpc": "http://b:2", contract: CONTRACT }, /either --node or --evm-rpc, not both/],
    [{ "evm-rpc": "ws://127.0.0.1:8545", contract: CONTRACT }, /--evm-rpc must be an http\(s\) URL.*"ws:/],
    [{ "evm-rpc": "127.0.0.1:8545", contract: CONTRACT }, /--evm-rpc must be an http\(s\) URL/],
    [{ "evm-rpc": "http://127.0.0.1:8545" }, /--evm-rpc needs --contract ADDR/],
    [{ "evm-rpc": "http://127.0.0.1:8545", contract: "0x12" }, /--contract must be the 0x address.*"0x12"/],
    [{ "evm-rpc": "http://127.0.0.1:8545", contract: `${CONTRACT}00` }, /--contract must be the 0x address/],
    [{ node: "ftp://127.0.0.1" }, /--node must use http, https, ws or wss/],
    [{ node: "nowhere" }, /--node must be a URL/],
  ])("refuses %j as a usage error", (values, message) => {
    expect(() => chainSourceFlags(values)).toThrow(UsageError);
    expect(() => chainSourceFlags(values)).toThrow(message);
  });
});
