/**
 * Bytes of a changed file → the texts the secret scan judges. Text files are decoded (UTF-8, or
 * UTF-16 / UTF-32 with a byte-order mark, or UTF-16 recognised by its zero bytes); anything else is
 * binary and yields its printable runs, like `strings` does — 8-bit runs and 16-bit (UTF-16LE/BE)
 * runs at either alignment — so a key compiled into an executable or stored in an image is still
 * seen. Decoders take the file in chunks of any size.
 */

import { isAscii, isUtf8, transcode } from "node:buffer";
import { keepMapAlive } from "./keep-maps.js";

type TextEncoding = "utf8" | "utf16le" | "utf16be" | "utf32le" | "utf32be";
type Sniffed = { kind: "text"; encoding: TextEncoding; bom: number } | { kind: "binary" };

/** Bytes looked at to tell text from binary. */
const SNIFF_BYTES = 8 * 1024;
/** Shortest printable run taken from a binary file (as `strings -n 8`). */
const MIN_RUN = 8;

function isPrintable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09;
}

/** UTF-16 text without a BOM: one byte of each pair is almost always zero, the other almost never, and the text is printable. */
function looksUtf16(head: Uint8Array, zeroAt: 0 | 1): boolean {
  const pairs = head.length >> 1;
  if (pairs < 4) return false;
  let zeroes = 0;
  let other = 0;
  let control = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    const hi = head[i + zeroAt] as number;
    const lo = head[i + 1 - zeroAt] as number;
    if (hi === 0) {
      zeroes++;
      if (lo < 0x20 && lo !== 0x09 && lo !== 0x0a && lo !== 0x0d) control++;
    }
    if (lo === 0) other++;
  }
  return zeroes >= pairs * 0.6 && other <= pairs * 0.02 && control <= pairs * 0.02;
}

/** What the first bytes of a file (up to SNIFF_BYTES) say about it. */
function sniff(head: Uint8Array): Sniffed {
  const [b0, b1, b2, b3] = head;
  if (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0)
    return { kind: "text", encoding: "utf32le", bom: 4 };
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff)
    return { kind: "text", encoding: "utf32be", bom: 4 };
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { kind: "text", encoding: "utf8", bom: 3 };
  if (b0 === 0xff && b1 === 0xfe) return { kind: "text", encoding: "utf16le", bom: 2 };
  if (b0 === 0xfe && b1 === 0xff) return { kind: "text", encoding: "utf16be", bom: 2 };
  if (head.indexOf(0) === -1) return { kind: "text", encoding: "utf8", bom: 0 };
  if (looksUtf16(head, 1)) return { kind: "text", encoding: "utf16le", bom: 0 };
  if (looksUtf16(head, 0)) return { kind: "text", encoding: "utf16be", bom: 0 };
  return { kind: "binary" };
}

/** Chunks in, text out. */
export interface Decoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

/** Shared empties: a scan builds a decoder per file, and most files end on a character boundary. */
const NO_BYTES = new Uint8Array(0);
const NO_BUFFER = Buffer.alloc(0);

/** Bytes held back when a chunk ends inside a character; `cut` says where the last whole one ends. */
class Carry {
  #left: Uint8Array = NO_BYTES;
  constructor(private readonly cut: (bytes: Uint8Array) => number) {}

  take(bytes: Uint8Array): Buffer {
    const all = this.#left.length === 0 ? bytes : Buffer.concat([this.#left, bytes]);
    const whole = this.cut(all);
    if (whole === all.length) {
      this.#left = NO_BYTES;
      return Buffer.isBuffer(all) ? all : Buffer.from(all.buffer, all.byteOffset, whole);
    }
    this.#left = all.slice(whole);
    return Buffer.from(all.buffer, all.byteOffset, whole);
  }

  rest(): Buffer {
    if (this.#left.length === 0) return NO_BUFFER;
    const rest = Buffer.from(this.#left);
    this.#left = NO_BYTES;
    return rest;
  }
}

const units = (size: number) => (bytes: Uint8Array) => bytes.length - (bytes.length % size);

/** Where the last complete UTF-8 sequence ends (a lead byte in the last three bytes may still need more). */
function utf8Cut(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const b = bytes[n - k] as number;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc0) return n;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return k < need ? n - k : n;
  }
  return n;
}

/** Below this many bytes ICU's fixed cost per call (~0.6 µs) outweighs its speed. */
const TRANSCODE_MIN = 256;

/**
 * Valid UTF-8 has exactly one decoding, so ICU's converter (transcode) and V8's give the same string;
 * on non-ASCII text ICU's is about twice as fast (the benchmark corpus holds ~9 MB of translated
 * messages). ASCII decodes as Latin-1, a plain copy; invalid input, whose replacement characters are
 * V8's, and short chunks keep Buffer's UTF-8 decoding. transcode exists only in builds with ICU.
 */
function decodeUtf8(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString("latin1");
  if (bytes.length >= TRANSCODE_MIN && typeof transcode === "function" && isUtf8(bytes)) {
    return transcode(bytes, "utf8", "utf16le").toString("utf16le");
  }
  return bytes.toString("utf8");
}

// A Buffer transcode made, whose map is the Uint8Array map with Buffer's prototype (see keep-maps.ts).
if (typeof transcode === "function") keepMapAlive(transcode(Buffer.from("\u00e9"), "utf8", "utf16le"));

/** UTF-8 and UTF-16 through Buffer's native decoding (string_decoder is several times slower). */
class NativeDecoder implements Decoder {
  readonly #carry: Carry;
  constructor(private readonly encoding: "utf8" | "utf16le" | "utf16be") {
    this.#carry = new Carry(encoding === "utf8" ? utf8Cut : units(2));
  }
  #decode(bytes: Buffer): string {
    if (this.encoding === "utf8") return decodeUtf8(bytes);
    return (this.encoding === "utf16be" ? Buffer.from(bytes).swap16() : bytes).toString("utf16le");
  }
  write(bytes: Uint8Array): string {
    return this.#decode(this.#carry.take(bytes));
  }
  end(): string {
    const rest = this.#carry.rest();
    return this.encoding === "utf8" ? rest.toString("utf8") : "";
  }
}

class Utf32Decoder implements Decoder {
  readonly #carry = new Carry(units(4));
  constructor(private readonly bigEndian: boolean) {}
  write(bytes: Uint8Array): string {
    const whole = this.#carry.take(bytes);
    const view = new DataView(whole.buffer, whole.byteOffset, whole.byteLength);
    const parts: string[] = [];
    const codes: number[] = [];
    for (let i = 0; i < whole.length; i += 4) {
      const cp = view.getUint32(i, !this.bigEndian);
      codes.push(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? cp : 0xfffd);
      if (codes.length === 4096) parts.push(String.fromCodePoint(...codes.splice(0)));
    }
    parts.push(String.fromCodePoint(...codes));
    return parts.join("");
  }
  end(): string {
    return "";
  }
}

/** `decoder` without the first `count` bytes of the stream (a byte-order mark, an alignment byte). */
function skipping(decoder: Decoder, count: number): Decoder {
  let left = count;
  return {
    write(bytes) {
      const n = Math.min(left, bytes.length);
      left -= n;
      return decoder.write(n === 0 ? bytes : bytes.subarray(n));
    },
    end: () => decoder.end(),
  };
}

function textDecoder(encoding: TextEncoding): Decoder {
  if (encoding === "utf32le" || encoding === "utf32be") return new Utf32Decoder(encoding === "utf32be");
  return new NativeDecoder(encoding);
}

/** Collects printable runs of MIN_RUN or more characters, one per line, across writes. */
class Runs {
  /** Characters of a run not yet MIN_RUN long, held until it is (or dropped when it ends). */
  #pending: number[] = [];
  #inRun = false;
  #out: Buffer = Buffer.alloc(0);
  #o = 0;

  begin(capacity: number): void {
    this.#out = Buffer.allocUnsafe(capacity + MIN_RUN + 1);
    this.#o = 0;
  }

  /** A printable character, or -1 for anything that ends a run. */
  add(c: number): void {
    if (c !== -1) {
      if (this.#inRun) this.#out[this.#o++] = c;
      else if (this.#pending.push(c) === MIN_RUN) {
        for (const p of this.#pending) this.#out[this.#o++] = p;
        this.#pending = [];
        this.#inRun = true;
      }
      return;
    }
    if (this.#inRun) this.#out[this.#o++] = 0x0a;
    this.#inRun = false;
    this.#pending.length = 0;
  }

  done(): string {
    return this.#out.toString("latin1", 0, this.#o);
  }
}

/** Printable runs of single bytes (ASCII text in a binary), like `strings`. */
class ByteRuns implements Decoder {
  readonly #runs = new Runs();
  write(bytes: Uint8Array): string {
    this.#runs.begin(bytes.length);
    for (const b of bytes) this.#runs.add(isPrintable(b) ? b : -1);
    return this.#runs.done();
  }
  end(): string {
    return "";
  }
}

/**
 * Printable runs of 16-bit text (UTF-16LE or BE) whose characters sit at byte offsets of one parity:
 * a printable byte with a zero byte beside it. A little-endian string at even offsets reads the
 * same as a big-endian one shifted by a byte, so two parities cover both byte orders without
 * reporting one string twice.
 */
class WideRuns implements Decoder {
  readonly #runs = new Runs();
  /** Absolute offset of #held[0]. */
  #pos = 0;
  /** The byte before #held[0] (-1 at the start). */
  #prev = -1;
  /** The last byte seen: it cannot be judged before the byte after it arrives. */
  #held: Uint8Array = new Uint8Array(0);

  constructor(private readonly parity: 0 | 1) {}

  /** Judge data[0, count): every byte there has its successor in data, or is the stream's last. */
  #judge(data: Uint8Array, count: number): string {
    this.#runs.begin(count >> 1);
    for (let i = (this.#pos + this.parity) & 1; i < count; i += 2) {
      const b = data[i] as number;
      const prev = i === 0 ? this.#prev : (data[i - 1] as number);
      const next = i + 1 < data.length ? (data[i + 1] as number) : -1;
      this.#runs.add(isPrintable(b) && (prev === 0 || next === 0) ? b : -1);
    }
    return this.#runs.done();
  }

  write(bytes: Uint8Array): string {
    const data = this.#held.length === 0 ? bytes : Buffer.concat([this.#held, bytes]);
    if (data.length < 2) {
      this.#held = Uint8Array.from(data);
      return "";
    }
    const out = this.#judge(data, data.length - 1);
    this.#prev = data[data.length - 2] as number;
    this.#pos += data.length - 1;
    this.#held = data.slice(data.length - 1);
    return out;
  }

  end(): string {
    const out = this.#judge(this.#held, this.#held.length);
    this.#held = new Uint8Array(0);
    return out;
  }
}

/**
 * How to read a file that starts with `head`: its decoded text (`content`), or for a binary file the
 * printable runs (`strings`) of its bytes and of 16-bit text at even and at odd offsets.
 */
export function decodersFor(head: Uint8Array): { where: "content" | "strings"; decoders: Decoder[] } {
  const sniffed = sniff(head.subarray(0, SNIFF_BYTES));
  if (sniffed.kind === "text") {
    return { where: "content", decoders: [skipping(textDecoder(sniffed.encoding), sniffed.bom)] };
  }
  return { where: "strings", decoders: [new ByteRuns(), new WideRuns(0), new WideRuns(1)] };
}
