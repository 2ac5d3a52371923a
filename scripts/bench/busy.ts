// Busy processes for load benchmarks: K node processes each spinning one core at 100 %, so a
// benchmark can show how much load the system under test takes before it fails (`--busy K`).
import { type ChildProcess, spawn } from "node:child_process";

/** K spinning processes; stop() ends exactly those (by their pids). */
export interface BusyLoad {
  readonly count: number;
  stop(): Promise<void>;
}

/** Starts `count` processes that each burn one core until stopped (or until this process exits). */
export function startBusy(count: number): BusyLoad {
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`--busy takes a whole number >= 0, got ${count}`);
  // The spinner also watches its parent: if the benchmark dies, it ends within a second.
  const spin = `const p=process.ppid;let t=Date.now();for(;;){if(Date.now()-t>1000){t=Date.now();try{process.kill(p,0)}catch{process.exit(0)}}}`;
  const children: ChildProcess[] = Array.from({ length: count }, () =>
    spawn(process.execPath, ["-e", spin], { stdio: "ignore" }),
  );
  const onExit = () => {
    for (const c of children) c.kill("SIGKILL");
  };
  process.once("exit", onExit);
  return {
    count,
    async stop() {
      process.off("exit", onExit);
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once("exit", () => resolve());
              c.kill("SIGKILL");
            }),
        ),
      );
    },
  };
}

/** `--busy K` from argv (0 when absent), and the other arguments. */
export function parseBusyFlag(argv: readonly string[]): { busy: number; rest: string[] } {
  const rest: string[] = [];
  let busy = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const inline = /^--busy=(.*)$/.exec(a);
    if (a === "--busy" || inline) {
      const value = inline ? inline[1]! : argv[++i];
      if (value === undefined || !/^\d+$/.test(value))
        throw new RangeError(`--busy takes a whole number, got ${value}`);
      busy = Number(value);
    } else rest.push(a);
  }
  return { busy, rest };
}
