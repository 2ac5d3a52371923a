import { StargateClient } from "@cosmjs/stargate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { typeUrls } from "../../src/client/index.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import { keyNamed, signingClient, tempHome, waitForHeight } from "../node/helpers.js";
import { runCliAsync } from "./helpers.js";

const cli = (args: string[]) => runCliAsync(args);

// Governance reads a finished stage: three validators (50/30/20), one participant; the 50 and 30
// validators vote CHEATER and HONEST, the 20 abstains.
describe("pocval query tally and tallies (governance view)", () => {
  let node: RunningNode;
  let cleanup: () => Promise<void>;
  let keys: KeyFile[];
  const stage = 12n;

  beforeAll(async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    ({ keys } = await initHome({
      home: t.home,
      stakes: [50n, 30n, 20n],
      participants: 1,
      // Windows of 20 and 40 blocks of 150 ms: a loaded machine still lands each transaction in its window.
      timing: { stageLength: 80n, stageOffset: 12n, commitWindow: 20n, validationWindow: 40n },
      // Version 3 on: the votes below are full checks, consistent under the rule it turns on.
      params: { acceptanceRate: "0.015" },
    }));
    node = await startNode({ home: t.home, rpc: "127.0.0.1:0", blockTimeMs: 150 });
    const participant = keyNamed(keys, "participant-0");
    const p = await signingClient(node.rpcUrl, participant);
    await p.signAndBroadcast(
      participant.address,
      [
        {
          typeUrl: typeUrls.registerParticipant,
          value: { creator: participant.address, pocPublicKey: "pk", proofApiUrl: "http://127.0.0.1:9" },
        },
      ],
      "auto",
    );
    const reader = await StargateClient.connect(node.rpcUrl);
    await waitForHeight(reader, Number(stage), 20_000);
    const commit = await p.signAndBroadcast(
      participant.address,
      [
        {
          typeUrl: typeUrls.commitArtifacts,
          value: {
            creator: participant.address,
            stageHeight: stage,
            count: 1000n,
            rootHash: new Uint8Array(32).fill(3),
          },
        },
      ],
      "auto",
    );
    expect(commit.code).toBe(0);
    await waitForHeight(reader, Number(stage) + 21, 30_000); // validation window opens at S + 20 + 1
    for (const [name, verdict, reason] of [
      ["validator-0", 2, 1],
      ["validator-1", 1, 1],
    ] as const) {
      const key = keyNamed(keys, name);
      const c = await signingClient(node.rpcUrl, key);
      const r = await c.signAndBroadcast(
        key.address,
        [
          {
            typeUrl: typeUrls.submitVotes,
            value: {
              creator: key.address,
              stageHeight: stage,
              votes: [
                {
                  participant: participant.address,
                  verdict,
                  reason,
                  checked: 200,
                  mismatches: verdict === 2 ? 30 : 3,
                  pValue: verdict === 2 ? "1e-9" : "0.76",
                  evidenceHash: new Uint8Array(32),
                },
              ],
            },
          },
        ],
        "auto",
      );
      expect(r.code, r.rawLog).toBe(0);
    }
    await waitForHeight(reader, Number(stage) + 20 + 40 + 1, 30_000);
  }, 90_000);

  afterAll(async () => {
    await node?.stop();
    await cleanup?.();
  });

  it("params shows the early acceptance rate, in the table and in --json", async () => {
    const table = await cli(["query", "params", "--node", node.rpcUrl]);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/acceptance_rate\s+0\.015/);
    const json = await cli(["query", "params", "--node", node.rpcUrl, "--json"]);
    expect(JSON.parse(json.stdout).params.acceptanceRate).toBe("0.015");
  });

  it("tally --json lists every snapshot validator with its vote, stake and reason", async () => {
    const participant = keyNamed(keys, "participant-0").address;
    const r = await cli([
      "query",
      "tally",
      "--node",
      node.rpcUrl,
      "--stage-height",
      String(stage),
      "--participant",
      participant,
      "--json",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tally).toMatchObject({
      participant,
      cheater_stake: "50",
      honest_stake: "30",
      abstain_stake: "20",
      cheater_share: 0.5,
      convicted: false,
      weight: "1000",
    });
    expect(out.validators).toHaveLength(3);
    // The snapshot lists validators in address order.
    expect(out.validators).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          validator: keyNamed(keys, "validator-0").address,
          stake: "50",
          stake_share: 0.5,
          verdict: "CHEATER",
          reason: "STAT_TEST",
          mismatches: 30,
          p_value: "1e-9",
        }),
        expect.objectContaining({
          validator: keyNamed(keys, "validator-1").address,
          stake: "30",
          verdict: "HONEST",
          mismatches: 3,
        }),
        expect.objectContaining({
          validator: keyNamed(keys, "validator-2").address,
          stake: "20",
          verdict: "ABSTAIN",
          reason: "",
        }),
      ]),
    );
  });

  it("tally and tallies print shares and the verdict for a person", async () => {
    const participant = keyNamed(keys, "participant-0").address;
    const [tally, tallies] = await Promise.all([
      cli(["query", "tally", "--node", node.rpcUrl, "--stage-height", String(stage), "--participant", participant]),
      cli(["query", "tallies", "--node", node.rpcUrl, "--stage-height", String(stage)]),
    ]);
    expect(tally.status, tally.stderr).toBe(0);
    // Exactly half says cheater: not strictly more than half of all stake, so cleared.
    expect(tally.stdout).toMatch(new RegExp(`${participant}\\s+1000\\s+50\\.0%\\s+30\\.0%\\s+20\\.0%\\s+cleared`));
    expect(tally.stdout).toMatch(/ABSTAIN/);
    expect(tally.stdout).toMatch(/CHEATER\s+STAT_TEST\s+30\/200\s+1e-9/);
    expect(tallies.stdout).toMatch(new RegExp(`${participant}\\s+1000\\s+50\\.0%`));
  });
});
