import { CommandError } from "./args.js";

/** `pocval node`: placeholder until issue 3 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval node` is not built yet (issue 3)");
}
