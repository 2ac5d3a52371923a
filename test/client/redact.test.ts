import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bip39, EnglishMnemonic } from "@cosmjs/crypto";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { describeParseError, loadAccountKey, redactInput } from "../../src/client/index.js";
import { readKeyFile } from "../../src/node/index.js";
import { loadParticipantConfig } from "../../src/participant/index.js";
import { loadSidecarConfig, loadValidatorKey, parseSidecarConfig, redactConfig } from "../../src/sidecar/index.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-redact-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const wordlist = EnglishMnemonic.wordlist;

/** Every message of an error and of its causes. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) out.push(e.message);
  return out.join("\n");
}

/** The first pair of adjacent mnemonic words that appears in text (any separator), or undefined. */
function leakedPair(text: string, mnemonic: string): string | undefined {
  const words = mnemonic.trim().split(/\s+/);
  for (let i = 1; i < words.length; i++) {
    if (new RegExp(`\\b${words[i - 1]}[^A-Za-z]+${words[i]}\\b`, "i").test(text)) return `${words[i - 1]} ${words[i]}`;
  }
  return undefined;
}

/** Mnemonics: valid ones, and word sequences with a bad checksum or the wrong length. */
const mnemonicArb = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Bip39.encode(b).toString()),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Bip39.encode(b).toString()),
  fc.array(fc.constantFrom(...wordlist), { minLength: 2, maxLength: 25 }).map((ws) => ws.join(" ")),
);

/** A way to break a text near (or anywhere around) the mnemonic: what a typo or a bad paste does. */
const damageArb = fc.record({
  kind: fc.constantFrom("none", "insert", "delete", "truncate", "swap-quote", "indent"),
  where: fc.double({ min: 0, max: 1, noNaN: true }),
  nearMnemonic: fc.boolean(),
  char: fc.constantFrom(
    ":",
    '"',
    "'",
    "{",
    "}",
    "[",
    "]",
    "-",
    "\t",
    "\n",
    "#",
    "&",
    "*",
    "!",
    "|",
    ">",
    "%",
    "@",
    "`",
    ",",
    "\\",
  ),
});

function damage(
  text: string,
  mnemonic: string,
  d: { kind: string; where: number; nearMnemonic: boolean; char: string },
): string {
  const at = text.indexOf(mnemonic);
  const span = d.nearMnemonic && at >= 0 ? [Math.max(0, at - 3), at + mnemonic.length + 3] : [0, text.length];
  const pos = Math.min(text.length, Math.floor(span[0]! + d.where * (span[1]! - span[0]!)));
  switch (d.kind) {
    case "insert":
      return text.slice(0, pos) + d.char + text.slice(pos);
    case "delete":
      return text.slice(0, pos) + text.slice(pos + 1);
    case "truncate":
      return text.slice(0, pos);
    case "swap-quote":
      return text.replace('"', "'");
    case "indent":
      return text.slice(0, pos).replace(/\n([^\n]*)$/, "\n   $1") + text.slice(pos);
    default:
      return text;
  }
}

const sidecarYaml = (m: string, quoted: boolean) =>
  `node:\n  rpcUrl: http://127.0.0.1:26657\nkey:\n  mnemonic: ${quoted ? `"${m}"` : m}\nbackend:\n  urls: [http://127.0.0.1:8080]\n`;
const sidecarJson = (m: string) =>
  JSON.stringify(
    { node: { rpcUrl: "http://127.0.0.1:26657" }, key: { mnemonic: m }, backend: { urls: ["http://x:1"] } },
    null,
    2,
  );
const participantYaml = (m: string) =>
  `node:\n  rpcUrl: http://127.0.0.1:26657\nkey:\n  mnemonic: ${m}\nbackend:\n  url: http://127.0.0.1:8080\ndataDir: ${dir}\n`;
const participantJson = (m: string) =>
  JSON.stringify({ node: { rpcUrl: "http://127.0.0.1:26657" }, key: { mnemonicFile: m }, cheat: { strategy: m } });
const keyFileJson = (m: string) => JSON.stringify({ name: "v", address: "pocval1xyz", mnemonic: m }, null, 2);

let n = 0;
const file = (name: string, text: string) => {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, text);
  return path;
};

/** What a parse path says about an input: its error's messages, or (when it loads) what it would log. */
async function outcome(run: () => Promise<unknown>, describeOk: (v: unknown) => string = () => ""): Promise<string> {
  try {
    return describeOk(await run());
  } catch (err) {
    return messages(err);
  }
}

describe("no key material in errors", () => {
  it("masks adjacent BIP-39 words of the input and nothing else", () => {
    expect(redactInput("bad: abandon ability able, ok", ["x abandon ability able about"])).toBe("bad: *** *** ***, ok");
    // A lone word, words not adjacent in the input, and words not in the input stay.
    expect(redactInput("field abandon: expected able about", ["abandon x able y about"])).toBe(
      "field abandon: expected able about",
    );
    expect(redactInput("key file /k.json: bad", { key: "zzz" })).toBe("key file /k.json: bad");
    expect(
      describeParseError(
        new SyntaxError("Unexpected token 'a', \"abandon ab\"... is not valid JSON at position 4"),
        "{\n  abandon",
        "JSON",
      ),
    ).toBe("not valid JSON: syntax error at line 2, column 3");
  });

  it("property: every parse path (YAML, JSON, env, key and mnemonic files, damaged variants) keeps the mnemonic out", async () => {
    await fc.assert(
      fc.asyncProperty(mnemonicArb, damageArb, fc.boolean(), async (mnemonic, d, quoted) => {
        const results: [string, string][] = [];
        const sy = damage(sidecarYaml(mnemonic, quoted), mnemonic, d);
        results.push([
          "sidecar yaml",
          await outcome(
            () => loadSidecarConfig(file("s.yaml", sy), {}),
            (c) => JSON.stringify(redactConfig(c as never)),
          ),
        ]);
        const sj = damage(sidecarJson(mnemonic), mnemonic, d);
        results.push([
          "sidecar json",
          await outcome(
            () => loadSidecarConfig(file("s.json", sj), {}),
            (c) => JSON.stringify(redactConfig(c as never)),
          ),
        ]);
        // The environment: the mnemonic variable, and the mnemonic pasted into the wrong variables.
        const env = {
          POCVAL_SIDECAR_MNEMONIC: mnemonic,
          POCVAL_SIDECAR_METRICS_PORT: mnemonic,
          POCVAL_SIDECAR_LOG_LEVEL: mnemonic,
          POCVAL_SIDECAR_NODE_RPC: mnemonic,
        };
        results.push(["sidecar env", await outcome(() => loadSidecarConfig(file("e.yaml", "{}\n"), env))]);
        results.push([
          "sidecar inline key",
          await outcome(() =>
            loadValidatorKey(
              parseSidecarConfig({
                node: { rpcUrl: "http://a:1" },
                backend: { urls: ["http://b:2"] },
                key: { mnemonic },
              }).key,
            ),
          ),
        ]);
        results.push([
          "participant yaml",
          await outcome(() => loadParticipantConfig(file("p.yaml", damage(participantYaml(mnemonic), mnemonic, d)))),
        ]);
        results.push([
          "participant json",
          await outcome(() => loadParticipantConfig(file("p.json", damage(participantJson(mnemonic), mnemonic, d)))),
        ]);
        const kf = file("k.json", damage(keyFileJson(mnemonic), mnemonic, d));
        results.push(["key file", await outcome(() => loadAccountKey({ keyFile: kf }))]);
        results.push(["node key file", await outcome(() => readKeyFile(kf))]);
        results.push([
          "mnemonic file",
          await outcome(() => loadAccountKey({ mnemonicFile: file("m.txt", damage(mnemonic, mnemonic, d)) })),
        ]);
        results.push([
          "mnemonic env",
          await outcome(() => loadAccountKey({ mnemonicEnv: "M" }, { M: damage(mnemonic, mnemonic, d) })),
        ]);
        for (const [path, text] of results) {
          const pair = leakedPair(text, mnemonic);
          if (pair) throw new Error(`${path} leaks "${pair}": ${text}`);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it("names the key file and its field for a mnemonic with a bad checksum, and never the words", async () => {
    const valid = Bip39.encode(new Uint8Array(32).fill(7)).toString().split(" ");
    // The last word carries the checksum: another word there breaks it.
    const bad = [...valid.slice(0, 23), valid[23] === "abandon" ? "ability" : "abandon"].join(" ");
    const path = file("bad.json", keyFileJson(bad));
    const err = await loadAccountKey({ keyFile: path }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `key file ${path}, field "mnemonic": not a valid BIP-39 English mnemonic (unknown word, word count or checksum)`,
    );
    await expect(readKeyFile(path)).rejects.toThrow(`${path}: mnemonic: not a valid BIP-39 English mnemonic`);
    const m = file("bad.txt", bad);
    await expect(loadAccountKey({ mnemonicFile: m })).rejects.toThrow(`mnemonic file ${m}: not a valid BIP-39`);
    await expect(loadAccountKey({ mnemonicEnv: "K" }, { K: bad })).rejects.toThrow(
      "environment variable K: not a valid",
    );
  });
});
