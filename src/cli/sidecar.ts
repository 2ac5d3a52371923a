import { CommandError } from "./args.js";

/** `pocval sidecar`: placeholder until issue 5 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval sidecar` is not built yet (issue 5)");
}
