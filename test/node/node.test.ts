import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initHome } from "../../src/node/index.js";
import { raceChildren } from "../fs/race.js";
import { tempHome } from "./helpers.js";

const child = fileURLToPath(new URL("./fixtures/start-node-race.ts", import.meta.url));

describe("startNode home lock", () => {
  let home: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    await initHome({ home, validators: 1, participants: 0 });
  });
  afterAll(() => cleanup());

  it("lets exactly one of three nodes started together after a crash take the home", async () => {
    for (let round = 0; round < 2; round++) {
      // The LOCK a kill -9 leaves behind: the pid of a process that is gone.
      const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
        encoding: "utf8",
      });
      await writeFile(join(home, "data", "LOCK"), dead.stdout);
      const release = join(home, "..", `release-${round}`);
      const race = await raceChildren(child, [home, release], 3, join(home, "..", `go-${round}`));
      await writeFile(release, "");
      await race.exited();
      expect(
        race.outcomes.filter((o) => o === "started"),
        race.outcomes.join("\n"),
      ).toHaveLength(1);
      expect(
        race.outcomes.filter((o) => /^refused: .*data is in use by process \d+; stop that node first$/.test(o)),
      ).toHaveLength(2);
    }
  }, 180_000);
});
