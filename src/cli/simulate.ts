import { CommandError } from "./args.js";

/** `pocval simulate`: placeholder until issue 7 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval simulate` is not built yet (issue 7)");
}
