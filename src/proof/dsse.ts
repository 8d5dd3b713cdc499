import { type KeyObject, sign, verify } from "node:crypto";
// The module itself, not the package index: the index loads sigstore's X.509/ASN.1/RFC 3161 code too,
// ~40 ms at every start of `omk run`, `land` and `proof verify` for one function. 3.x has no exports map.
import { preAuthEncoding as sigstorePAE } from "@sigstore/core/dist/dsse.js";
import { z } from "zod";

/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse, protocol v1): the signature covers the
 * pre-authentication encoding PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
 * taken from @sigstore/core rather than re-implemented; ed25519 signs and verifies through node:crypto.
 */
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** Standard or URL-safe base64 (the DSSE spec lets verifiers accept either), padding optional. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, "not base64");

export const EnvelopeSchema = z.object({
  payloadType: z.string().min(1),
  payload: Base64,
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: Base64.min(1) })).min(1),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  return sigstorePAE(payloadType, payload);
}

export function signEnvelope(
  payloadType: string,
  payload: Buffer,
  key: { privateKey: KeyObject; keyid: string },
): Envelope {
  const sig = sign(null, preAuthEncoding(payloadType, payload), key.privateKey);
  return {
    payloadType,
    payload: payload.toString("base64"),
    signatures: [{ keyid: key.keyid, sig: sig.toString("base64") }],
  };
}

export type EnvelopeCheck = { ok: true; payload: Buffer } | { ok: false; reason: string };

/**
 * The payload of an envelope iff one of its signatures verifies with `publicKey` over the PAE of
 * exactly the bytes the payload decodes to. The `keyid` is an unauthenticated hint and is not trusted.
 */
export function openEnvelope(envelope: Envelope, publicKey: KeyObject): EnvelopeCheck {
  const payload = decodeBase64(envelope.payload);
  if (payload === null) return { ok: false, reason: "the payload is not canonical base64" };
  const pae = preAuthEncoding(envelope.payloadType, payload);
  for (const s of envelope.signatures) {
    const sig = decodeBase64(s.sig);
    if (sig === null) continue;
    try {
      if (verify(null, pae, publicKey, sig)) return { ok: true, payload };
    } catch {
      // A signature of the wrong length for the key type is simply not a valid one.
    }
  }
  return { ok: false, reason: "no signature verifies with the given key" };
}

/**
 * Node's base64 decoder skips characters it does not know and ignores stray trailing bits, so two
 * different strings can decode to the same bytes; only a string that re-encodes to itself counts.
 */
function decodeBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, "base64");
  const std = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  return bytes.toString("base64").replace(/=+$/, "") === std ? bytes : null;
}
