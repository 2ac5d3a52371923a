// The one config file loader (loader.ts) of the sidecar, the participant agent and the localnet
// scenario. Its own folder, so that what imports net/ does not load the client and YAML with it.
export {
  applyEnvOverrides,
  ConfigError,
  type ConfigRules,
  type EnvOverride,
  loadConfigFile,
  parseConfig,
} from "./loader.js";
