import { CommandError } from "./args.js";

/** `pocval calibrate`: placeholder until issue 7 lands. */
export async function run(_argv: string[]): Promise<void> {
  throw new CommandError("`pocval calibrate` is not built yet (issue 7)");
}
