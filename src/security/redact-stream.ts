/**
 * Streaming redaction for process output. push() emits everything whose verdict can no longer change
 * and holds back the rest: at most ~2 KiB after an undecided trigger, MAX_TRIGGER_LENGTH - 1
 * characters otherwise, and an open PEM block until its END or PEM_CAP. Verdicts read the same
 * window of text as in the whole-text pass, and a secret straddling a cut keeps a single
 * placeholder, so the concatenated output equals redactTextOnce(whole text) for any chunking — and
 * so redactText(whole text) whenever one round suffices. (Further rounds only arise when merged
 * secrets swallow the quote or line end of a neighbouring value; every secret the first round
 * finds is redacted either way.)
 */

import { CONTEXT_CHARS, detectSecrets, mergeRanges } from "./secret-detect.js";
import { REDACTED } from "./secret-rules.js";

export class StreamRedactor {
  /** Raw text already emitted, kept as left context for the next verdicts. */
  #context = "";
  /** Raw text not emitted yet. */
  #pending = "";
  /** Secret ranges (relative to #pending) decided by triggers already passed. */
  #carry: [number, number][] = [];
  /** The last emission ended on a placeholder whose secret continues into #pending (or touches it). */
  #joined = false;
  /** #pending length before which another scan cannot emit anything. */
  #resumeAt = 0;
  #pemBlocked = false;

  /** Characters currently held back. */
  get held(): number {
    return this.#pending.length;
  }

  push(chunk: string): string {
    if (chunk.length === 0) return "";
    const before = this.#pending.length;
    this.#pending += chunk;
    const pemMayClose = this.#pemBlocked && this.#pending.includes("-----END", Math.max(0, before - 8));
    if (this.#pending.length < this.#resumeAt && !pemMayClose) return "";
    return this.#drain(false);
  }

  flush(): string {
    const out = this.#drain(true);
    this.#context = "";
    this.#pending = "";
    this.#carry = [];
    this.#joined = false;
    this.#resumeAt = 0;
    this.#pemBlocked = false;
    return out;
  }

  #drain(atEnd: boolean): string {
    const base = this.#context.length;
    const text = this.#context + this.#pending;
    const found = detectSecrets(text, { from: base, atEnd });
    const cut = found.resolvedUntil;
    this.#resumeAt = found.resumeAt - Math.max(cut, base);
    this.#pemBlocked = found.blockedByPem;
    if (cut <= base) return "";

    const ranges: [number, number][] = this.#carry.map(([s, e]) => [s + base, e + base]);
    for (const m of found.matches) if (m.trigger < cut) ranges.push([m.start, m.end]);
    const parts: string[] = [];
    const carry: [number, number][] = [];
    let pos = base;
    let joined = false;
    for (const [start, end] of mergeRanges(ranges)) {
      if (start >= cut) {
        carry.push([start - cut, end - cut]);
        continue;
      }
      parts.push(text.slice(pos, start));
      if (!(start === base && this.#joined)) parts.push(REDACTED);
      pos = Math.min(end, cut);
      joined = end >= cut;
      if (end > cut) carry.push([0, end - cut]);
    }
    if (pos < cut) {
      parts.push(text.slice(pos, cut));
      joined = false;
    }
    this.#context = text.slice(Math.max(0, cut - CONTEXT_CHARS), cut);
    this.#pending = text.slice(cut);
    this.#carry = carry;
    this.#joined = joined;
    return parts.join("");
  }
}
