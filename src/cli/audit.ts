// `pocval audit`: the command group that re-checks a fault vote's evidence offline.
import { readFileSync } from "node:fs";
import { BECH32_PREFIX } from "../chain/index.js";
import { auditEvidence } from "../core/proof-answer.js";
import { printJson, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";

/** `pocval audit --evidence FILE`: re-checks a fault vote's evidence offline, one JSON object. */
export default group("audit", {
  "": command({
    summary:
      "re-check offline the evidence behind a fault vote (GET /evidence of a sidecar): prints {valid, reason, participant, leaf_index}; exit 1 when not valid",
    flags: {
      evidence: {
        type: "string",
        arg: "FILE",
        help: "the evidence JSON: {participant, reason, k_dim, request, answer}, or of an UNAVAILABLE vote {participant, reason, budget, response_ms, tries}",
        required: true,
      },
      prefix: { type: "string", arg: "HRP", help: `bech32 prefix of the addresses (default ${BECH32_PREFIX})` },
    },
    run(values) {
      const file = requireString(values, "evidence");
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new UsageError(`--evidence ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`, {
          cause: err,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new UsageError(`--evidence ${file}: not JSON (${(err as Error).message})`, { cause: err });
      }
      const prefix = typeof values.prefix === "string" ? values.prefix : BECH32_PREFIX;
      const result = auditEvidence(json, prefix);
      printJson(result);
      if (!result.valid) process.exitCode = 1;
    },
  }),
});
