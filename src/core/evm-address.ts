// An EVM address as the EVM binding takes and spells it (docs/protocol.md "EVM binding"): 0x and
// 40 hex digits in any case on input (no checksum is required), lower-case 0x hex in seeds, proof
// requests and journals. The one home of both rules.

/** 0x and 40 hex digits, any case. */
export const EVM_ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

/** True for 0x and 40 hex digits, any case. @example isEvmAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3") // true */
export function isEvmAddress(value: unknown): value is string {
  return typeof value === "string" && EVM_ADDRESS_PATTERN.test(value);
}

/** The binding's spelling of an address: lower-case 0x hex. @example lowerEvmAddress("0xAb..") // "0xab.." */
export function lowerEvmAddress(address: string): string {
  return address.toLowerCase();
}
