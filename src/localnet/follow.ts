// Following a localnet run on chain: waiting until every participant is registered, then printing
// each stage's windows as they pass until its tallies are decided (or final).
import { nextStageStart, stageStartAtOrBefore, stageWindows } from "../core/index.js";
import type { Tally } from "../gen/pocval/v1/types.js";
import { sleep } from "../net/index.js";
import type { LocalnetChainReader } from "./evm.js";
import { race } from "./network.js";
import { type Scenario, scenarioTiming } from "./scenario.js";
import type { Supervisor } from "./supervisor.js";
import { LocalnetError, type StagePhase } from "./types.js";

/**
 * Waits until `count` participants are registered and returns the stage to run first: the one in
 * progress while at least half its commit window is left (a participant registered during the
 * window still commits in it), else the next.
 */
export async function waitForRegistration(
  reader: LocalnetChainReader,
  supervisor: Supervisor,
  scenario: Scenario,
  count: number,
  progress: (line: string) => void,
): Promise<bigint> {
  // The run gives up only when 60 s pass without a new registration: many agents on a busy
  // machine register slowly, not never.
  let deadline = Date.now() + 60_000;
  let seen = 0;
  for (;;) {
    const registered = await race(supervisor, reader.registeredCount());
    if (registered >= count) break;
    if (registered > seen) {
      seen = registered;
      deadline = Date.now() + 60_000;
    }
    if (Date.now() > deadline) {
      throw new LocalnetError(`only ${registered} of ${count} participants registered, none more within the last 60 s`);
    }
    await race(supervisor, sleep(scenario.blockTimeMs));
  }
  const currentHeight = await reader.currentHeight();
  const timing = scenarioTiming(scenario.timing);
  const current = stageStartAtOrBefore(timing, currentHeight);
  const inTime = current !== undefined && (currentHeight - current) * 2n <= timing.commitWindow && current > 1n;
  const firstStage = inTime ? current : nextStageStart(timing, currentHeight);
  progress(
    `all participants registered at height ${currentHeight}; running stage${scenario.stages > 1 ? "s" : ""} from ${firstStage}`,
  );
  return firstStage;
}

/** When a stage's following ends: once every tally is decided, or once the window has passed. */
export type FollowUntil = "decided" | "final";

/**
 * Prints the stage windows as they pass and resolves once the stage's tallies are decided (every
 * participant of the scenario has one) or final, with the tallies it saw decided.
 */
export async function followStage(
  reader: LocalnetChainReader,
  stageHeight: bigint,
  scenario: Scenario,
  progress: (line: string) => void,
  opts: { until: FollowUntil; onPhase?: (phase: StagePhase) => Promise<void> | void },
): Promise<{ decided: Tally[] }> {
  const w = stageWindows(scenarioTiming(scenario.timing), stageHeight);
  const S = Number(stageHeight);
  const sampling = Number(w.samplingHeight);
  const end = Number(w.validationEnd);
  const phases: [number, string, StagePhase][] = [
    [S, `stage ${S}: commit window ${S}..${w.commitEnd}`, "commit"],
    [sampling, `stage ${S}: sampling block ${sampling}`, "sampling"],
    [Number(w.validationStart), `stage ${S}: validation window ${w.validationStart}..${end}`, "validation"],
  ];
  const timeoutMs = (end - S + scenario.timing.stageLength + 20) * scenario.blockTimeMs * 3 + 30_000;
  const deadline = Date.now() + timeoutMs;
  let announced = 0;
  let lastHeight = -1;
  let decided: Tally[] = [];
  for (;;) {
    const { stage, currentHeight } = await reader.stage(stageHeight);
    const height = Number(currentHeight);
    while (announced < phases.length && height >= phases[announced]![0]) {
      const [, line, phase] = phases[announced++]!;
      progress(line);
      await opts.onPhase?.(phase);
    }
    if (height !== lastHeight && height < S) {
      if ((S - height) % 10 === 0) progress(`height ${height}: stage ${S} starts in ${S - height} blocks`);
    }
    if (height !== lastHeight && height > sampling && !stage.finalized) {
      const votes = await reader.votes(stageHeight);
      decided = (await reader.tallies(stageHeight)).filter((t) => t.decidedHeight > 0n);
      if ((height - S) % 4 === 0) {
        progress(
          `height ${height}: ${votes.length} votes so far, ${decided.length} of ${scenario.participants.length} tallies decided, window closes at ${end}`,
        );
      }
      if (opts.until === "decided" && decided.length >= scenario.participants.length) {
        const last = Math.max(...decided.map((t) => Number(t.decidedHeight)));
        progress(`stage ${S}: every tally decided by height ${last} (final at ${end})`);
        return { decided };
      }
    }
    lastHeight = height;
    if (stage.finalized) {
      progress(`stage ${S}: tallied at height ${end}`);
      return { decided };
    }
    if (Date.now() > deadline)
      throw new LocalnetError(`stage ${S} was not tallied within ${Math.round(timeoutMs / 1000)} s (height ${height})`);
    await sleep(Math.max(50, scenario.blockTimeMs / 2));
  }
}
