/**
 * Judging a candidate value by its shape: placeholders, references, and words (identifiers, phrases)
 * versus the random strings credentials are made of. Shared by the shape table (`accept`), the
 * findings filter and the env sanitizer.
 */

/** Documentation values and placeholders: never reported (still redacted). */
export const PLACEHOLDER_WORD =
  /example|changeme|change[-_]?me|placeholder|dummy|redacted|your[-_]|xxxx|\*\*\*/i;

/** Published examples that are not secrets (the jwt.io sample token's signature). */
const KNOWN_EXAMPLES: readonly string[] = ["SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"];

export function isPlaceholderValue(value: string): boolean {
  return PLACEHOLDER_WORD.test(value) || KNOWN_EXAMPLES.some((example) => value.includes(example));
}

export const hasDigit = (s: string): boolean => /[0-9]/.test(s);
/** Random mixed-case alphanumerics always hold a digit, an upper- and a lower-case letter. */
export const looksRandom = (s: string): boolean => /[0-9]/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s);

function isVowel(c: number): boolean {
  // a e i o u y, either case
  const l = c | 0x20;
  return l === 0x61 || l === 0x65 || l === 0x69 || l === 0x6f || l === 0x75 || l === 0x79;
}

function charClass(c: number): 0 | 1 | 2 | 3 {
  if (c >= 0x61 && c <= 0x7a) return 1; // lower
  if (c >= 0x41 && c <= 0x5a) return 2; // upper
  if (c >= 0x30 && c <= 0x39) return 3; // digit
  return 0;
}

/** A run of letters that reads like a word: a vowel in anything longer than three, no five consonants in a row. */
function isPronounceable(value: string, start: number, end: number): boolean {
  if (end - start <= 3) return true;
  let vowels = 0;
  let consonants = 0;
  for (let i = start; i < end; i++) {
    if (isVowel(value.charCodeAt(i))) {
      vowels++;
      consonants = 0;
    } else if (++consonants >= 5) {
      return false;
    }
  }
  return vowels > 0;
}

/**
 * True for identifiers and phrases made of words — `assertOptionalToken`, `SOCKS5_NO_ACCEPTABLE_AUTH`,
 * `?NoLineTerminatorHere`, `angular-cookie` — and false for random strings, which split into many
 * short pieces at case and digit changes (`aB3xY9kLmN2p`), carry several digit runs, or have long
 * unpronounceable letter runs.
 */
export function isWordLike(value: string): boolean {
  let words = 0;
  let letters = 0;
  let digitRuns = 0;
  let digits = 0;
  let i = 0;
  while (i < value.length) {
    const c = charClass(value.charCodeAt(i));
    if (c === 0) {
      i++;
      continue;
    }
    let j = i + 1;
    if (c === 3) {
      while (j < value.length && charClass(value.charCodeAt(j)) === 3) j++;
      digitRuns++;
      digits += j - i;
      i = j;
      continue;
    }
    // A word: an optional capital, then lower case (`Token`), or a run of capitals (`HTTP` in `HTTPServer`).
    if (c === 2 && j < value.length && charClass(value.charCodeAt(j)) === 2) {
      while (j < value.length && charClass(value.charCodeAt(j)) === 2) j++;
      if (j < value.length && charClass(value.charCodeAt(j)) === 1 && j - i > 1) j--;
    } else {
      while (j < value.length && charClass(value.charCodeAt(j)) === 1) j++;
    }
    if (!isPronounceable(value, i, j)) return false;
    words++;
    letters += j - i;
    i = j;
  }
  if (words === 0 || digitRuns > 2 || digits > 4) return false;
  return letters / words >= 3;
}

export const REDACTED = "[REDACTED]";

/**
 * True when text[start, end) holds nothing but placeholders and whitespace: a value that was
 * already redacted (possibly as several merged pieces) and must not match again.
 */
export function isOnlyPlaceholders(text: string, start = 0, end = text.length): boolean {
  let i = start;
  while (i < end) {
    if (text.startsWith(REDACTED, i) && i + REDACTED.length <= end) i += REDACTED.length;
    else if (/\s/.test(text.charAt(i))) i++;
    else return false;
  }
  return true;
}
