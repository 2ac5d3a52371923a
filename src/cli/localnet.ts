import { CommandError } from "./args.js";

/** `pocval localnet`: placeholder until issue 6 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval localnet` is not built yet (issue 6)");
}
