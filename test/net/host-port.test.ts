// HOST:PORT parsing, the one rule behind --rpc, startNode's rpc and the ABCI server's tcp:// address.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatHostPort, parseHostPort } from "../../src/net/index.js";

const hostChar = fc.constantFrom(..."abcxyzABCXYZ0189.-");
const name = fc.string({ unit: hostChar, minLength: 1, maxLength: 30 });
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6().filter((a) => /^[0-9a-fA-F:]+$/.test(a)); // the bracket form takes hex and colons only
const port = fc.integer({ min: 0, max: 65535 });

describe("parseHostPort", () => {
  it("reads back what formatHostPort wrote, for names, IPv4 and bracketed IPv6", () => {
    fc.assert(
      fc.property(fc.oneof(name, ipv4, ipv6), port, (host, p) => {
        expect(parseHostPort(formatHostPort({ host, port: p }))).toEqual({ host, port: p });
      }),
    );
  });

  it("refuses a port above 65535", () => {
    fc.assert(
      fc.property(fc.oneof(name, ipv4), fc.integer({ min: 65536, max: 99999 }), (host, p) => {
        expect(parseHostPort(`${host}:${p}`)).toBeUndefined();
      }),
    );
  });

  it("never throws, and whatever it accepts formats back to the same host and port", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        const parsed = parseHostPort(value);
        if (parsed === undefined) return;
        expect(parsed.port).toBeGreaterThanOrEqual(0);
        expect(parsed.port).toBeLessThanOrEqual(65535);
        expect(parseHostPort(formatHostPort(parsed))).toEqual(parsed);
      }),
    );
  });

  it.each([
    ["127.0.0.1:26657", { host: "127.0.0.1", port: 26657 }],
    ["localhost:0", { host: "localhost", port: 0 }],
    ["[::1]:8080", { host: "::1", port: 8080 }],
  ])("reads %s", (value, expected) => {
    expect(parseHostPort(value)).toEqual(expected);
  });

  it.each([
    "127.0.0.1",
    ":26657",
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:123456",
    "::1:8080",
    "host name:80",
    "tcp://127.0.0.1:80",
    "127.0.0.1:-1",
  ])("refuses %s", (value) => {
    expect(parseHostPort(value)).toBeUndefined();
  });
});
