// A cosmjs Registry that knows the pocval messages.
import { Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import { pocvalTypes } from "./messages.js";

/** A cosmjs Registry with the default Cosmos types plus the pocval messages. */
export function createPocvalRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...pocvalTypes]);
}
