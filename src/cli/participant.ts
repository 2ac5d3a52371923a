import { CommandError } from "./args.js";

/** `pocval participant`: placeholder until issue 4 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval participant` is not built yet (issue 4)");
}
