// `pocval abci`: the command group that serves the app over CometBFT's ABCI socket.
import { CommandError, requireString, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";

/** `pocval abci start --home DIR [--listen ADDR]`: the app behind CometBFT's ABCI socket. */
export default group("abci", {
  start: command({
    summary: "serves the app on CometBFT's ABCI socket until SIGINT or SIGTERM",
    flags: {
      home: { type: "string", arg: "DIR", help: "the home `node init` wrote", required: true },
      listen: { type: "string", arg: "ADDR", help: "where the ABCI socket listens (tcp://HOST:PORT or unix://PATH)" },
    },
    async run(values) {
      const signalled = untilSignal();
      const home = requireString(values, "home");
      const { AbciAppError, AbciGenesisError, AbciListenError, createAbciApp, DEFAULT_ABCI_LISTEN, startAbciServer } =
        await import("../abci/index.js");
      const { AppError } = await import("../app/index.js");
      const listen = values.listen ?? DEFAULT_ABCI_LISTEN;
      const log = (line: string) => process.stdout.write(`${line}\n`);
      let app: Awaited<ReturnType<typeof createAbciApp>>;
      let server: Awaited<ReturnType<typeof startAbciServer>>;
      try {
        app = await createAbciApp({ home, log });
      } catch (err) {
        // A genesis that does not read or validate is bad input; a store that cannot open is not.
        if (err instanceof AbciGenesisError) throw new UsageError(err.message, { cause: err });
        if (err instanceof AbciAppError || err instanceof AppError) throw new CommandError(err.message, { cause: err });
        throw err;
      }
      try {
        server = await startAbciServer(app, listen, { log });
      } catch (err) {
        app.close();
        if (err instanceof AbciListenError) throw new CommandError(err.message, { cause: err });
        throw err;
      }
      log(`abci app listening on ${server.address} (height ${app.height()})`);
      await signalled;
      await server.close();
      const height = app.height();
      app.close();
      log(`stopped at height ${height}`);
    },
  }),
});
