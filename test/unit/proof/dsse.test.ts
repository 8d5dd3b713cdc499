import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type Envelope, openEnvelope, preAuthEncoding, signEnvelope } from "../../../src/proof/dsse.js";

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, keyid: "k" };
};

describe("DSSE", () => {
  it("PAE matches the DSSE v1 spec's example exactly", () => {
    // protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    expect(
      preAuthEncoding("http://example.com/HelloWorld", Buffer.from("hello world")).toString("latin1"),
    ).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });

  it("PAE counts bytes, not characters", () => {
    expect(preAuthEncoding("t", Buffer.from("é", "utf8")).toString("utf8")).toBe("DSSEv1 1 t 2 é");
  });

  it("a signed envelope opens with its key to exactly the signed payload", () => {
    const k = pair();
    const env = signEnvelope("application/vnd.in-toto+json", Buffer.from('{"a":1}'), k);
    expect(env.signatures).toEqual([{ keyid: "k", sig: expect.any(String) }]);
    const opened = openEnvelope(env, k.publicKey);
    expect(opened).toEqual({ ok: true, payload: Buffer.from('{"a":1}') });
  });

  it("another key, a changed payload, a changed payloadType or a flipped signature bit fail", () => {
    const k = pair();
    const env = signEnvelope("application/vnd.in-toto+json", Buffer.from('{"a":1}'), k);
    expect(openEnvelope(env, pair().publicKey).ok).toBe(false);
    const payload = Buffer.from('{"a":2}').toString("base64");
    expect(openEnvelope({ ...env, payload }, k.publicKey).ok).toBe(false);
    expect(openEnvelope({ ...env, payloadType: "application/json" }, k.publicKey).ok).toBe(false);
    const sig = Buffer.from(env.signatures[0]!.sig, "base64");
    sig[5] = (sig[5] ?? 0) ^ 1;
    const flipped: Envelope = { ...env, signatures: [{ sig: sig.toString("base64") }] };
    expect(openEnvelope(flipped, k.publicKey).ok).toBe(false);
  });

  it("a payload that only decodes to the signed bytes by lenient base64 does not open", () => {
    const k = pair();
    const env = signEnvelope("t", Buffer.from("hello"), k);
    // "aGVsbG9=" has non-zero trailing bits: Node decodes it to "hello" like "aGVsbG8=".
    expect(Buffer.from("aGVsbG9=", "base64").toString()).toBe("hello");
    expect(openEnvelope({ ...env, payload: "aGVsbG9=" }, k.publicKey)).toEqual({
      ok: false,
      reason: "the payload is not canonical base64",
    });
  });

  it("one good signature among bad ones is enough; the keyid is only a hint", () => {
    const k = pair();
    const env = signEnvelope("t", Buffer.from("x"), k);
    const other = signEnvelope("t", Buffer.from("x"), pair());
    const both: Envelope = {
      ...env,
      signatures: [...other.signatures, { keyid: "wrong", sig: env.signatures[0]!.sig }],
    };
    expect(openEnvelope(both, k.publicKey).ok).toBe(true);
  });
});
