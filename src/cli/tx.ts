import { CommandError } from "./args.js";

/** `pocval tx`: placeholder until issue 3 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval tx` is not built yet (issue 3)");
}
