import { CommandError } from "./args.js";

/** `pocval collect`: placeholder until issue 7 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval collect` is not built yet (issue 7)");
}
