import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AbciFramingError, encodeUvarint, FrameReader, frame } from "../../src/abci/framing.js";

describe("ABCI framing", () => {
  it("encodes lengths as protobuf's unsigned varint", () => {
    // Reference values from the protobuf encoding spec (LEB128).
    expect([...encodeUvarint(0)]).toEqual([0]);
    expect([...encodeUvarint(1)]).toEqual([1]);
    expect([...encodeUvarint(127)]).toEqual([0x7f]);
    expect([...encodeUvarint(128)]).toEqual([0x80, 0x01]);
    expect([...encodeUvarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeUvarint(2 ** 31 - 1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(() => encodeUvarint(-1)).toThrow(AbciFramingError);
  });

  it("gives back every message whatever the chunking of the stream (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map(frame));
          const reader = new FrameReader();
          const out: Uint8Array[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            out.push(...reader.push(new Uint8Array(stream.subarray(offset, offset + size))));
            offset += size;
          }
          expect(out.map((m) => Buffer.from(m).toString("hex"))).toEqual(
            messages.map((m) => Buffer.from(m).toString("hex")),
          );
          expect(reader.pending()).toBe(0);
        },
      ),
    );
  });

  it("refuses a length above the limit and a varint longer than 10 bytes", () => {
    expect(() => new FrameReader(100).push(frame(new Uint8Array(101)))).toThrow(/exceeds the limit/);
    expect(() => new FrameReader().push(new Uint8Array(11).fill(0x80))).toThrow(/longer than 10 bytes/);
  });
});
