/** Raised when an external value (base64, hex, vector bytes, proof) does not decode; names the field at fault. */
export class DecodeError extends Error {
  override name = "DecodeError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
