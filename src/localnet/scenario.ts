// The localnet scenario file: its schema, defaults and validation (errors name file and field).
import { z } from "zod";
import { ConfigError, type ConfigRules, loadConfigFile, parseConfig } from "../config/index.js";
import { acceptanceRateParam, DEFAULT_PARAMS, ParamError, REASON_NAMES, timingViolations } from "../core/index.js";
import type { StageTiming } from "../gen/pocval/v1/params.js";

/** A scenario file that cannot be read or does not validate: names the file and every field at fault. */
export class ScenarioError extends ConfigError {
  override name = "ScenarioError";
}

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, "lower-case letters, digits and dashes");
const verdict = z.enum(["HONEST", "CHEATER"]);
const reason = z.enum(REASON_NAMES);
const decimal = z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/, "a decimal string");

/** One emulated GPU machine: a reference backend with a hardware profile and a machine identity. */
const machineSchema = z.strictObject({
  name,
  /** A reference backend profile; or give `url` instead. */
  profile: z.string().min(1).optional(),
  /**
   * An external PoC backend (e.g. a real vLLM server) instead of a reference profile; the runner
   * checks that it answers /api/v1/pow/status and serves the scenario's model before the stage.
   */
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** Nonces per second the emulated GPU computes (0: no cap). */
  noncesPerSecond: z.number().int().min(0).default(0),
  /**
   * The machine identity of the reference backend (default: the machine's name). Machines of
   * profiles sharing kernels with the same id answer bit-identically, as real ones do.
   */
  machineId: z.string().min(1).optional(),
});

/** The honest mismatch rate between two profiles' machines at the scenario's threshold (from a calibration). */
const pairRateSchema = z.strictObject({
  a: z.string().min(1),
  b: z.string().min(1),
  rate: z.number().min(0).max(1),
});

const validatorSchema = z.strictObject({
  name,
  /** Bonded stake, a positive integer (as a number or a decimal string). */
  stake: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d*$/)]).transform((s) => BigInt(s)),
  machine: name,
  /**
   * How the validator behaves (docs/protocol.md "Threat model"): honest, offline (its sidecar is
   * never started), lazy (HONEST on everyone without checking), or a coalition member's list
   * "frame:P1,shield:P2" (CHEATER on P1, HONEST on P2, an honest check elsewhere).
   */
  strategy: z.string().min(1).default("honest"),
});

/** A validator's behaviour in a scenario; participants by name. */
export type ValidatorStrategy =
  | { kind: "honest" }
  | { kind: "offline" }
  | { kind: "lazy" }
  | { kind: "coalition"; frame: string[]; shield: string[] };

export const VALIDATOR_STRATEGIES =
  "honest, offline, lazy, or a comma-separated list of frame:PARTICIPANT and shield:PARTICIPANT";

/** Parses a validator's strategy; undefined when it names no strategy. */
export function parseValidatorStrategy(text: string): ValidatorStrategy | undefined {
  if (text === "honest" || text === "offline" || text === "lazy") return { kind: text };
  const frame: string[] = [];
  const shield: string[] = [];
  for (const part of text.split(",")) {
    const m = /^(frame|shield):(.+)$/.exec(part.trim());
    if (!m) return undefined;
    (m[1] === "frame" ? frame : shield).push(m[2]!);
  }
  return { kind: "coalition", frame, shield };
}

const participantSchema = z.strictObject({
  name,
  machine: name,
  /** `honest` or a cheating strategy of `pocval participant start --cheat`. */
  strategy: z.string().min(1).default("honest"),
  /** Nonces computed per stage. */
  nonces: z.number().int().min(1).max(10_000_000),
  expect: z.strictObject({
    verdict,
    /** Reasons every CHEATER vote should carry (any reason when omitted). */
    reasons: z.array(reason).optional(),
  }),
  /**
   * The true mismatch rate against the validators' machines assumed when computing the
   * probability of a wrong verdict (honest machines: about the calibrated fp_rate).
   */
  assumedMismatchRate: z.number().min(0).max(1).optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(""),
    blockTimeMs: z.number().int().min(50).max(10_000).default(500),
    /** Stages to run end to end. */
    stages: z.number().int().min(1).max(20).default(1),
    timing: z.strictObject({
      stageLength: z.number().int().min(4),
      stageOffset: z.number().int().min(0),
      commitWindow: z.number().int().min(1),
      validationWindow: z.number().int().min(1),
    }),
    /** Chain params overriding the defaults of docs/protocol.md (decimal strings for reals). */
    params: z
      .strictObject({
        model: z.string().min(1).optional(),
        seqLen: z.number().int().min(1).optional(),
        kDim: z.number().int().min(1).optional(),
        distThreshold: decimal.optional(),
        fpRate: decimal.optional(),
        alpha: decimal.optional(),
        sampleSize: z.number().int().min(1).optional(),
        quorumNum: z.number().int().min(0).optional(),
        quorumDen: z.number().int().min(1).optional(),
        /** Version 2 validation slots per participant (0: every validator checks everyone). */
        validationSlots: z.number().int().min(0).max(1000).optional(),
        /** Proof requests per validator, participant and stage, retries included (docs/protocol.md "Availability"). */
        proofRequestBudget: z.number().int().min(1).max(1000).optional(),
        /**
         * How long a participant has to answer one proof request. On a localnet of short windows it
         * must be small: budget x (this + the wait between tries) must fit in the validation window.
         */
        proofResponseMs: z.number().int().min(100).max(3_600_000).optional(),
        /** Version 3 early acceptance: a check may stop HONEST at c < n with mismatches <= floor(rate x c); below fpRate. */
        acceptanceRate: decimal.optional(),
      })
      .default({}),
    /** Every sidecar's `check` section (curtailed checks); the sidecar's defaults when absent. */
    check: z
      .strictObject({
        chunkSize: z.number().int().min(1).max(100_000).optional(),
        curtail: z.boolean().optional(),
      })
      .optional(),
    machines: z.array(machineSchema).min(1),
    validators: z.array(validatorSchema).min(1).max(100),
    participants: z.array(participantSchema).min(1).max(100),
    /**
     * Participant agents per `pocval participant start` process (each keeps its own key, store and
     * proof API): on a small machine forty node processes cost more start-up CPU than the stage has.
     */
    participantsPerProcess: z.number().int().min(1).max(100).default(1),
    /**
     * Per pair of profiles, the honest mismatch rate at the scenario's distThreshold (from a
     * calibration): an honest participant's wrong-verdict probability then uses each
     * validator's own pair rate (same profile and machine id: 0) instead of one assumed rate.
     */
    pairRates: z.array(pairRateSchema).optional(),
    /** A run whose probability of any wrong verdict exceeds this fails before it starts. */
    maxWrongVerdictProbability: z.number().min(0).max(1).default(1e-6),
  })
  .superRefine((s, ctx) => {
    const machines = new Set(s.machines.map((m) => m.name));
    const names = new Set<string>();
    const unique = (n: string, path: (string | number)[]) => {
      if (names.has(n)) ctx.addIssue({ code: "custom", path, message: `duplicate name "${n}"` });
      names.add(n);
    };
    for (const [i, m] of s.machines.entries()) {
      unique(`machine:${m.name}`, ["machines", i, "name"]);
      if ((m.profile === undefined) === (m.url === undefined)) {
        ctx.addIssue({ code: "custom", path: ["machines", i], message: "give exactly one of profile and url" });
      }
    }
    s.validators.forEach((v, i) => {
      unique(v.name, ["validators", i, "name"]);
      if (!machines.has(v.machine)) {
        ctx.addIssue({ code: "custom", path: ["validators", i, "machine"], message: `no machine "${v.machine}"` });
      }
    });
    const participantNames = new Set(s.participants.map((p) => p.name));
    s.validators.forEach((v, i) => {
      const strategy = parseValidatorStrategy(v.strategy);
      const path = ["validators", i, "strategy"];
      if (!strategy) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `unknown strategy "${v.strategy}": expected ${VALIDATOR_STRATEGIES}`,
        });
      } else if (strategy.kind === "coalition") {
        for (const target of [...strategy.frame, ...strategy.shield]) {
          if (!participantNames.has(target))
            ctx.addIssue({ code: "custom", path, message: `no participant "${target}"` });
        }
      }
    });
    s.participants.forEach((p, i) => {
      unique(p.name, ["participants", i, "name"]);
      if (!machines.has(p.machine)) {
        ctx.addIssue({ code: "custom", path: ["participants", i, "machine"], message: `no machine "${p.machine}"` });
      }
    });
    acceptanceRateIssue(s.params, ctx);
    // The chain's timing rule (core/stage.ts), with the field names of this file.
    for (const v of timingViolations(scenarioTiming(s.timing))) {
      const message = v.message.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      ctx.addIssue({ code: "custom", path: ["timing"], message });
    }
  });

/** The chain's acceptance_rate rule (core/params.ts) on the scenario's params, with this file's field names. */
function acceptanceRateIssue(params: { acceptanceRate?: string; fpRate?: string }, ctx: z.RefinementCtx): void {
  if (params.acceptanceRate === undefined) return;
  try {
    acceptanceRateParam(params.acceptanceRate, params.fpRate ?? DEFAULT_PARAMS.fpRate);
  } catch (e) {
    if (!(e instanceof ParamError)) throw e;
    const field = e.field === "fp_rate" ? "fpRate" : "acceptanceRate";
    ctx.addIssue({ code: "custom", path: ["params", field], message: e.reason.replace("fp_rate", "fpRate") });
  }
}

/** A scenario's timing in the chain's form. */
export function scenarioTiming(t: z.output<typeof scenarioSchema>["timing"]): StageTiming {
  return {
    stageLength: BigInt(t.stageLength),
    stageOffset: BigInt(t.stageOffset),
    commitWindow: BigInt(t.commitWindow),
    validationWindow: BigInt(t.validationWindow),
  };
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioParticipant = Scenario["participants"][number];

const rules: ConfigRules<typeof scenarioSchema> = {
  schema: scenarioSchema,
  error: (source, issues) => new ScenarioError(source, issues),
};

/** Validates a parsed scenario; errors name the source and each path. */
export function parseScenario(raw: unknown, source: string): Scenario {
  return parseConfig(raw, source, rules);
}

/** Reads and validates a scenario file, JSON (or YAML), by config/loader.ts's rules; no environment overrides. */
export async function loadScenario(file: string): Promise<Scenario> {
  return loadConfigFile(file, rules, {});
}
