import { CommandError } from "./args.js";

/** `pocval backend`: placeholder until issue 4 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval backend` is not built yet (issue 4)");
}
