// The package's root surface (`import ... from "pocval"`): the cosmjs client (message types for a
// Registry, the query extension, keys) and the pure protocol library as `core`. Both are also
// importable alone: "pocval/client" and "pocval/core".
export * from "./client/index.js";
export * as core from "./core/index.js";
