// The one SHA-256 every protocol hash uses.
import { hash } from "node:crypto";

/** SHA-256 of bytes (Node's one-shot hash: no streaming object per call). */
export function sha256(data: Uint8Array): Uint8Array {
  const digest = hash("sha256", data, "buffer") as unknown as Buffer;
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
