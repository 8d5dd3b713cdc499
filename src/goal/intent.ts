/**
 * Publishing intents in a proposed task's text: a goal changes files in worktrees and lands only
 * through `omk goal accept`, so a task that asks an agent to push, publish, release, deploy, tag or
 * upload is refused. The text is untrusted, so it is normalised before matching: compatibility forms
 * (full-width letters), accents, invisible characters, Cyrillic and Greek look-alikes, camelCase and
 * any separator between words. Erring towards refusal is the point: a false positive costs a re-plan.
 */

const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const MARKS = /\p{M}/gu;

/** Look-alikes of the Latin letters the intent words are made of. */
const CONFUSABLES: Record<string, string> = {
  а: "a",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  һ: "h",
  ԁ: "d",
  ӏ: "l",
  ɡ: "g",
  ԛ: "q",
  ԝ: "w",
  ո: "n",
  ս: "u",
  ʋ: "u",
  ᴜ: "u",
  ı: "i",
  ł: "l",
  ο: "o",
  α: "a",
  ρ: "p",
  τ: "t",
  υ: "u",
  ι: "i",
  ν: "v",
  ε: "e",
  κ: "k",
  η: "n",
  А: "a",
  Е: "e",
  О: "o",
  Р: "p",
  С: "c",
  Т: "t",
  Н: "h",
  В: "b",
  К: "k",
  М: "m",
  У: "y",
  Х: "x",
  Ι: "i",
  Ο: "o",
  Ρ: "p",
  Τ: "t",
  Υ: "y",
  Α: "a",
  Β: "b",
  Ε: "e",
  Η: "h",
  Κ: "k",
  Μ: "m",
  Ν: "n",
};

/** Look-alikes that read as either of two letters: the text is judged with each reading. */
const AMBIGUOUS: Record<string, string> = { у: "u", У: "u", υ: "y", ν: "u" };

/** Stems found inside any word (`republish`, `npm_publish`, `gitPush` → `git push`). */
const STEMS = /(push|publish|releas|deploy|upload)/;
/** Whole words only: "tag" is inside too many innocent ones (stage, storage, vintage). */
const WORDS = /^(tag|tags|tagged|tagging)$/;

export function normalizeIntentText(text: string, alternate = false): string {
  const folded = text
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .normalize("NFKD")
    .replace(MARKS, "");
  let out = "";
  for (const ch of folded) out += (alternate ? AMBIGUOUS[ch] : undefined) ?? CONFUSABLES[ch] ?? ch;
  return out
    .toLowerCase()
    .replace(/[^a-z]+/g, " ")
    .trim();
}

/** The words of the normalised text, with runs of single letters joined (`p.u.s.h` → `push`). */
function words(normalized: string): string[] {
  const out: string[] = [];
  let spelled = "";
  for (const w of normalized.split(" ")) {
    if (w.length === 1) {
      spelled += w;
      continue;
    }
    if (spelled !== "") out.push(spelled);
    spelled = "";
    if (w !== "") out.push(w);
  }
  if (spelled !== "") out.push(spelled);
  return out;
}

/** The first publishing word of `text` (normalised), or null. */
export function publishingIntent(text: string): string | null {
  // Each look-alike reading, and each with in-word joiners dropped (`up-load`, `re_lease`).
  const joined = text.replace(/(?<=\S)[-_.·'’]+(?=\S)/gu, "");
  for (const t of [text, joined]) {
    for (const alternate of [false, true]) {
      for (const word of words(normalizeIntentText(t, alternate))) {
        if (STEMS.test(word) || WORDS.test(word)) return word;
      }
    }
  }
  return null;
}
