import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { StargateClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { afterAll, describe, expect, it } from "vitest";
import { initHome } from "../../src/node/index.js";
import { tempHome, waitForHeight } from "./helpers.js";

const bin = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

/** Spawns `pocval node start` and resolves with the RPC URL it prints. */
function spawnNode(home: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [bin, "node", "start", "--home", home, "--rpc", "127.0.0.1:0", "--block-time", "100"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`node did not start: ${out}${err}`)), 30_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(/rpc (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${out}${err}`));
    });
  });
}

const exited = (child: ChildProcess) => new Promise((resolve) => child.once("exit", resolve));

describe("the node after kill -9", () => {
  const children: ChildProcess[] = [];
  let cleanup: (() => Promise<void>) | undefined;

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await cleanup?.();
  });

  it("continues at the same height with the same app hashes", async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    await initHome({ home: t.home, validators: 1, participants: 0 });

    const first = await spawnNode(t.home);
    children.push(first.child);
    const client = await StargateClient.connect(first.url);
    await waitForHeight(client, 12);
    const comet = await connectComet(first.url);
    const old = await comet.block(5);
    const lastSeen = await comet.block();
    client.disconnect();
    comet.disconnect();
    first.child.kill("SIGKILL");
    await exited(first.child);

    const second = await spawnNode(t.home);
    children.push(second.child);
    const comet2 = await connectComet(second.url);
    const resumedAt = (await comet2.status()).syncInfo.latestBlockHeight;
    expect(resumedAt).toBeGreaterThanOrEqual(12);
    const again = await comet2.block(5);
    expect(again.block.header.appHash).toEqual(old.block.header.appHash);
    expect(again.blockId.hash).toEqual(old.blockId.hash);
    const lastAgain = await comet2.block(lastSeen.block.header.height);
    expect(lastAgain.block.header.appHash).toEqual(lastSeen.block.header.appHash);
    expect(lastAgain.blockId.hash).toEqual(lastSeen.blockId.hash);
    // Blocks keep coming, each chained to the one before.
    const client2 = await StargateClient.connect(second.url);
    await waitForHeight(client2, resumedAt + 3);
    const after = await comet2.block(resumedAt + 1);
    const before = await comet2.block(resumedAt);
    expect(after.block.header.lastBlockId?.hash).toEqual(before.blockId.hash);
    client2.disconnect();
    comet2.disconnect();
    second.child.kill("SIGTERM");
    await exited(second.child);
  }, 60_000);
});
