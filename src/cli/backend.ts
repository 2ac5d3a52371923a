// `pocval backend`: the command group of the CPU reference PoC backend.
import {
  FAULT_SPEC_HELP,
  FaultSpecError,
  parseFaultSpecs,
  profileNames,
  profiles,
  startReferenceBackend,
} from "../backend/index.js";
import { CommandError, intFlag, numberFlag, printJson, requireString, UsageError, untilSignal } from "./args.js";
import { command, type FlagValues, group } from "./command.js";

const startFlags = {
  port: { type: "string", arg: "P", help: "the TCP port (0: any free one)", required: true },
  profile: { type: "string", arg: "NAME", help: "the hardware profile (`pocval backend profiles`)", required: true },
  host: { type: "string", arg: "HOST", help: "the address to listen on (default 127.0.0.1)" },
  "machine-id": { type: "string", arg: "ID", help: "the machine's identity in its answers" },
  model: { type: "string", arg: "NAME", help: "the model it serves" },
  "seq-len": { type: "string", arg: "N", help: "the sequence length it serves" },
  "k-dim": { type: "string", arg: "K", help: "the vector dimension (1..4096)" },
  "nonces-per-second": { type: "string", arg: "R", help: "the generation rate" },
  "batch-latency-ms": { type: "string", arg: "MS", help: "extra latency per batch (default 0)" },
  "queue-limit": { type: "string", arg: "N", help: "queued requests before it answers busy (default 64)" },
  fault: { type: "string", multiple: true, arg: "SPEC", help: `inject a fault (${FAULT_SPEC_HELP})` },
  json: { type: "boolean", help: "print one JSON object once it listens" },
} as const;

async function start(values: FlagValues<typeof startFlags>): Promise<void> {
  const profile = requireString(values, "profile");
  if (!profileNames.includes(profile)) {
    throw new UsageError(`--profile: unknown profile "${profile}" (known: ${profileNames.join(", ")})`);
  }
  let faults: ReturnType<typeof parseFaultSpecs>;
  try {
    faults = parseFaultSpecs(values.fault ?? []);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new UsageError(`--fault: ${err.message} (grammar: ${FAULT_SPEC_HELP})`);
    throw err;
  }
  const rate =
    values["nonces-per-second"] === undefined ? undefined : numberFlag(values, "nonces-per-second", { min: 1e-6 });
  const options = {
    host: values.host ?? "127.0.0.1",
    port: intFlag(values, "port", { min: 0, max: 65535 }),
    profile,
    machineId: values["machine-id"],
    model: values.model,
    seqLen: values["seq-len"] === undefined ? undefined : intFlag(values, "seq-len", { min: 1 }),
    kDim: values["k-dim"] === undefined ? undefined : intFlag(values, "k-dim", { min: 1, max: 4096 }),
    noncesPerSecond: rate,
    batchLatencyMs: intFlag(values, "batch-latency-ms", { min: 0, default: 0 }),
    queueLimit: intFlag(values, "queue-limit", { min: 0, default: 64 }),
    faults,
  };
  let backend: Awaited<ReturnType<typeof startReferenceBackend>>;
  try {
    backend = await startReferenceBackend(options);
  } catch (err) {
    throw new CommandError(`cannot start the reference backend: ${(err as Error).message}`, { cause: err });
  }
  if (values.json) {
    printJson({
      url: backend.url,
      profile: backend.profile.name,
      machine_id: backend.machineId,
      params: { model: backend.params.model, seq_len: backend.params.seqLen, k_dim: backend.params.kDim },
      faults: backend.faults(),
    });
  } else {
    const p = backend.params;
    process.stdout.write(
      `reference backend ${backend.profile.name} (machine ${backend.machineId}) serving ${p.model} seq_len ${p.seqLen} k_dim ${p.kDim} at ${backend.url}\n`,
    );
  }
  // Progress for a person watching: a line every 30 s when something was served.
  let last = backend.stats();
  const progress = values.json
    ? undefined
    : setInterval(() => {
        const now = backend.stats();
        if (now.requests === last.requests) return;
        process.stdout.write(
          `served ${now.requests} requests, ${now.noncesGenerated} nonces (${now.noncesGenerated - last.noncesGenerated} in the last 30 s), ${now.queued} queued\n`,
        );
        last = now;
      }, 30_000);
  const signal = await untilSignal();
  if (progress) clearInterval(progress);
  if (!values.json) process.stdout.write(`${signal}: stopping\n`);
  await backend.stop();
}

function listProfiles(values: { json?: boolean }): void {
  if (values.json) {
    printJson({ profiles: profileNames.map((name) => profiles[name]) });
    return;
  }
  const width = Math.max(...profileNames.map((n) => n.length));
  for (const name of profileNames) process.stdout.write(`${name.padEnd(width)}  ${profiles[name]!.description}\n`);
}

/** `pocval backend start|profiles`: the CPU reference PoC backend. */
export default group("backend", {
  start: command({ summary: "serves the PoC API from the CPU reference backend", flags: startFlags, run: start }),
  profiles: command({
    summary: "the hardware profiles it can imitate",
    flags: { json: { type: "boolean", help: "print one JSON object" } },
    run: listProfiles,
  }),
});
