/**
 * Bytes of a changed file → the texts the secret scan judges. Text files are decoded (UTF-8, or
 * UTF-16 / UTF-32 with a byte-order mark, or UTF-16 recognised by its zero bytes); anything else is
 * binary and yields its printable runs, like `strings` does — 8-bit runs and 16-bit (UTF-16LE/BE)
 * runs at either alignment — so a key compiled into an executable or stored in an image is still
 * seen. Decoders take the file in chunks of any size.
 */

import { StringDecoder } from "node:string_decoder";

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

/** Bytes left over when a chunk ends inside a code unit of `size` bytes. */
class Units {
  #left: Uint8Array = new Uint8Array(0);
  constructor(private readonly size: number) {}

  take(bytes: Uint8Array): Uint8Array {
    const all = this.#left.length === 0 ? bytes : Buffer.concat([this.#left, bytes]);
    const whole = all.length - (all.length % this.size);
    this.#left = all.slice(whole);
    return all.subarray(0, whole);
  }
}

class Utf16BeDecoder implements Decoder {
  readonly #units = new Units(2);
  readonly #le = new StringDecoder("utf16le");
  write(bytes: Uint8Array): string {
    const swapped = Buffer.from(this.#units.take(bytes));
    return this.#le.write(swapped.swap16());
  }
  end(): string {
    return this.#le.end();
  }
}

class Utf32Decoder implements Decoder {
  readonly #units = new Units(4);
  constructor(private readonly bigEndian: boolean) {}
  write(bytes: Uint8Array): string {
    const units = this.#units.take(bytes);
    const view = new DataView(units.buffer, units.byteOffset, units.byteLength);
    const parts: string[] = [];
    const codes: number[] = [];
    for (let i = 0; i < units.length; i += 4) {
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
  switch (encoding) {
    case "utf8":
    case "utf16le": {
      const decoder = new StringDecoder(encoding);
      return {
        write: (bytes) => decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
        end: () => decoder.end(),
      };
    }
    case "utf16be":
      return new Utf16BeDecoder();
    case "utf32le":
      return new Utf32Decoder(false);
    case "utf32be":
      return new Utf32Decoder(true);
  }
}

/**
 * Printable runs of MIN_RUN or more characters, one per line. `width` 1 reads bytes; width 2 reads
 * byte pairs, where the character is the low (`le`) or high byte and the other is 0.
 */
class PrintableRuns implements Decoder {
  readonly #units: Units;
  /** Characters of a run not yet MIN_RUN long, held until it is (or dropped when it ends). */
  #pending: number[] = [];
  #inRun = false;

  constructor(
    private readonly width: 1 | 2,
    private readonly le = true,
  ) {
    this.#units = new Units(width);
  }

  write(bytes: Uint8Array): string {
    const units = this.#units.take(bytes);
    const out = Buffer.allocUnsafe(units.length / this.width + MIN_RUN + 1);
    let o = 0;
    const step = this.width;
    for (let i = 0; i < units.length; i += step) {
      let c: number;
      if (step === 1) c = units[i] as number;
      else {
        const a = units[i] as number;
        const b = units[i + 1] as number;
        c = this.le ? (b === 0 ? a : -1) : a === 0 ? b : -1;
      }
      if (c !== -1 && isPrintable(c)) {
        if (this.#inRun) out[o++] = c;
        else {
          this.#pending.push(c);
          if (this.#pending.length === MIN_RUN) {
            for (const p of this.#pending) out[o++] = p;
            this.#pending = [];
            this.#inRun = true;
          }
        }
      } else {
        if (this.#inRun) out[o++] = 0x0a;
        this.#inRun = false;
        this.#pending.length = 0;
      }
    }
    return out.toString("latin1", 0, o);
  }

  end(): string {
    this.#pending = [];
    this.#inRun = false;
    return "";
  }
}

/**
 * How to read a file that starts with `head`: its decoded text (`content`), or for a binary file the
 * printable runs of five views (`strings`) — bytes, and 16-bit little- and big-endian units at even
 * and odd offsets.
 */
export function decodersFor(head: Uint8Array): { where: "content" | "strings"; decoders: Decoder[] } {
  const sniffed = sniff(head.subarray(0, SNIFF_BYTES));
  if (sniffed.kind === "text") {
    return { where: "content", decoders: [skipping(textDecoder(sniffed.encoding), sniffed.bom)] };
  }
  const wide = (le: boolean, skip: number) => skipping(new PrintableRuns(2, le), skip);
  return {
    where: "strings",
    decoders: [new PrintableRuns(1), wide(true, 0), wide(true, 1), wide(false, 0), wide(false, 1)],
  };
}
