import { CommandError } from "./args.js";

/** `pocval query`: placeholder until issue 3 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval query` is not built yet (issue 3)");
}
