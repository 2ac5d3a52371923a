// The pocval app as an ABCI 2.0 socket server, for running under CometBFT.
export { type AbciApp, AbciAppError, APP_DB_FILE, APP_GENESIS_FILE, createAbciApp } from "./app.js";
export { AbciFramingError, encodeUvarint, FrameReader, frame } from "./framing.js";
export {
  type AbciAppState,
  AbciGenesisError,
  abciAppStateSchema,
  type ConsensusKey,
  parseAppGenesis,
} from "./genesis.js";
export {
  AbciListenError,
  type AbciServer,
  DEFAULT_ABCI_LISTEN,
  parseListenAddress,
  startAbciServer,
} from "./server.js";
