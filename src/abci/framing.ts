// The ABCI socket protocol's framing: each protobuf message is preceded by its length as an
// unsigned varint (CometBFT's protoio delimited writer). Pure: no sockets here.

/** CometBFT refuses bigger messages too (math.MaxInt32). */
import { PocvalError } from "../core/index.js";
export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;
const MAX_VARINT_BYTES = 10;

export class AbciFramingError extends PocvalError {
  override name = "AbciFramingError";
}

/** The unsigned LEB128 varint of a non-negative safe integer. */
export function encodeUvarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new AbciFramingError(`varint: ${n} is not a non-negative safe integer`);
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Prefixes a message with its length. */
export function frame(message: Uint8Array): Uint8Array {
  const prefix = encodeUvarint(message.length);
  const out = new Uint8Array(prefix.length + message.length);
  out.set(prefix);
  out.set(message, prefix.length);
  return out;
}

/**
 * Splits a byte stream into messages, across chunk boundaries. `push` returns the messages the
 * chunk completed (possibly none); a malformed length throws AbciFramingError.
 */
export class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {}

  push(chunk: Uint8Array): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    const out: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const header = readUvarint(this.buffer, offset);
      if (header === undefined) break;
      const [length, headerBytes] = header;
      if (length > this.maxBytes) {
        throw new AbciFramingError(`message length ${length} exceeds the limit of ${this.maxBytes} bytes`);
      }
      const start = offset + headerBytes;
      if (this.buffer.length - start < length) break;
      out.push(this.buffer.subarray(start, start + length));
      offset = start + length;
    }
    this.buffer = offset === 0 ? this.buffer : this.buffer.slice(offset);
    return out;
  }

  /** Bytes received that do not yet form a whole message. */
  pending(): number {
    return this.buffer.length;
  }
}

/** [value, bytes read], or undefined when the varint is not complete yet. */
function readUvarint(bytes: Uint8Array, offset: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (offset + i >= bytes.length) return undefined;
    const b = bytes[offset + i]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) throw new AbciFramingError("message length does not fit a safe integer");
      return [value, i + 1];
    }
    scale *= 0x80;
  }
  throw new AbciFramingError(`message length varint is longer than ${MAX_VARINT_BYTES} bytes`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
