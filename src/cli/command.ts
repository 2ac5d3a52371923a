// How a command is declared: its flags once, for parsing and for `--help`; groups of commands.
import type { parseArgs } from "node:util";
import { parseFlags, UsageError } from "./args.js";

/**
 * One flag of a command, as node:util parseArgs takes it plus what `--help` prints:
 * `arg` is the value's placeholder (`N`, `FILE`), `help` one line about it, and `required`
 * makes the runner refuse the command without it (and shows the flag unbracketed in usage).
 */
export interface FlagDef {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  arg?: string;
  help: string;
  required?: boolean;
}

export type Flags = Record<string, FlagDef>;

/** The parsed values of a command's flags, typed from its declaration. */
export type FlagValues<F extends Flags> = ReturnType<
  typeof parseArgs<{ options: F; strict: true; allowPositionals: true }>
>["values"];

/** One `pocval <group> <name>` command: its flags are declared once, for parsing and for --help. */
export interface Command<F extends Flags = Flags> {
  summary: string;
  flags: F;
  run: (values: FlagValues<F>) => Promise<void> | void;
}

/**
 * A command group: `commands` maps subcommand names to commands; a group that is one command
 * (`pocval sample ...`) has a single entry under the empty name.
 */
export interface Group {
  name: string;
  commands: Record<string, Command>;
}

/** Declares a command with its flag types inferred (so `run` sees typed values). */
export function command<const F extends Flags>(c: Command<F>): Command {
  return c as unknown as Command;
}

/** Declares a group; the single-command form is `group("sample", { "": command(...) })`. */
export function group(name: string, commands: Record<string, Command>): Group {
  return { name, commands };
}

const isHelp = (arg: string) => arg === "--help" || arg === "-h";

function flagUsage(name: string, def: FlagDef): string {
  const text = def.type === "boolean" ? `--${name}` : `--${name} ${def.arg ?? "VALUE"}`;
  const shown = def.multiple ? `${text} ...` : text;
  return def.required ? shown : `[${shown}]`;
}

/** `pocval stats binom --k K --n N --p P`: the command's name and its flags. */
export function usageLine(g: Group, sub: string, c: Command): string {
  const name = sub === "" ? `pocval ${g.name}` : `pocval ${g.name} ${sub}`;
  const flags = Object.entries(c.flags).map(([n, d]) => flagUsage(n, d));
  return [name, ...flags].join(" ");
}

/** Every command of the group, one usage line each (git's `usage:` / `or:` layout). */
export function groupUsage(g: Group): string {
  return Object.entries(g.commands)
    .map(([sub, c], i) => `${i === 0 ? "usage: " : "   or: "}${usageLine(g, sub, c)}`)
    .join("\n");
}

/** `pocval <group> <cmd> --help`: usage, summary and one line per flag. */
export function commandHelp(g: Group, sub: string, c: Command): string {
  const entries = Object.entries(c.flags).map(
    ([n, d]) => [d.type === "boolean" ? `--${n}` : `--${n} ${d.arg ?? "VALUE"}`, d.help] as const,
  );
  const width = Math.max(0, ...entries.map(([f]) => f.length));
  const lines = entries.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
  return `usage: ${usageLine(g, sub, c)}\n\n${c.summary}${lines.length > 0 ? `\n\nflags:\n${lines.join("\n")}` : ""}\n`;
}

/** `pocval <group> --help`: each command's summary and usage line. */
export function groupHelp(g: Group): string {
  const subs = Object.entries(g.commands);
  const only = subs.length === 1 ? subs[0] : undefined;
  if (only) return commandHelp(g, only[0], only[1]);
  const blocks = subs.map(([sub, c]) => `  ${usageLine(g, sub, c)}\n      ${c.summary}`);
  return `usage: pocval ${g.name} <${subs.map(([s]) => s).join("|")}> [flags]\n\ncommands:\n${blocks.join("\n")}\n\n"pocval ${g.name} <command> --help" describes each flag.\n`;
}

/**
 * Runs `argv` (the arguments after the group's name) against the group: prints help for
 * `--help`/`-h`, parses the chosen command's flags strictly, refuses missing required flags,
 * then runs it. Bad input is a UsageError whose message does not repeat the group's name.
 */
export async function runGroup(g: Group, argv: string[]): Promise<void> {
  const single = Object.hasOwn(g.commands, "");
  const [first, ...after] = argv;
  if (!single && (first === undefined || isHelp(first))) {
    if (first === undefined) throw new UsageError(`expected a command\n${groupUsage(g)}`);
    process.stdout.write(groupHelp(g));
    return;
  }
  const sub = single ? "" : (first as string);
  const rest = single ? argv : after;
  if (!Object.hasOwn(g.commands, sub)) {
    const names = Object.keys(g.commands).map((n) => `"${n}"`);
    const expected = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
    throw new UsageError(`expected ${expected}, got "${sub}"\n${groupUsage(g)}`);
  }
  const c = g.commands[sub]!;
  if (rest.some(isHelp)) {
    process.stdout.write(commandHelp(g, sub, c));
    return;
  }
  const { values } = parseFlags(rest, c.flags);
  for (const [name, def] of Object.entries(c.flags)) {
    if (def.required && (values as Record<string, unknown>)[name] === undefined) {
      throw new UsageError(`missing required flag --${name}\n${`usage: ${usageLine(g, sub, c)}`}`);
    }
  }
  await c.run(values);
}
