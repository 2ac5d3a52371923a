import {
  AbciAppError,
  AbciGenesisError,
  AbciListenError,
  createAbciApp,
  DEFAULT_ABCI_LISTEN,
  startAbciServer,
} from "../abci/index.js";
import { NodeError } from "../node/index.js";
import { CommandError, parseFlags, requireString, UsageError, untilSignal } from "./args.js";

async function start(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { home: { type: "string" }, listen: { type: "string" } });
  const home = requireString(values, "home");
  const listen = values.listen ?? DEFAULT_ABCI_LISTEN;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let app: Awaited<ReturnType<typeof createAbciApp>>;
  let server: Awaited<ReturnType<typeof startAbciServer>>;
  try {
    app = await createAbciApp({ home, log });
  } catch (err) {
    if (err instanceof AbciAppError || err instanceof AbciGenesisError || err instanceof NodeError) {
      throw new CommandError(err.message);
    }
    throw err;
  }
  try {
    server = await startAbciServer(app, listen, { log });
  } catch (err) {
    app.close();
    if (err instanceof AbciListenError) throw new CommandError(err.message);
    throw err;
  }
  log(`abci app listening on ${server.address} (height ${app.height()})`);
  await untilSignal();
  await server.close();
  const height = app.height();
  app.close();
  log(`stopped at height ${height}`);
}

/** `pocval abci start`. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "start") return start(rest);
  throw new UsageError(`abci: expected "start", got ${sub === undefined ? "nothing" : `"${sub}"`}`);
}
