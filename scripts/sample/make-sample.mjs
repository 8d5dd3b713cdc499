// Creates the demo's sample project: a tiny library with a real test suite (node:test),
// committed in a fresh git repository. Used by `npm run demo` and by tests.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SAMPLE_TASK = "make slugify drop punctuation and collapse repeated spaces";

/** The state after each recorded attempt: the first fixes punctuation only, the second everything. */
export const SAMPLE_ATTEMPTS = [
  {
    say: "Stripping punctuation before joining words.",
    files: {
      "src/slugify.js": `// Turns a title into a URL slug.
export function slugify(title) {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, "")
    .replace(/ /g, "-");
}
`,
    },
  },
  {
    say: "The gate showed repeated spaces still produce double dashes; collapsing whitespace and trimming.",
    files: {
      "src/slugify.js": `// Turns a title into a URL slug.
export function slugify(title) {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9\\s-]/g, "")
    .trim()
    .replace(/\\s+/g, "-")
    .replace(/-+/g, "-");
}
`,
    },
  },
];

export const SAMPLE_FILES = {
  "package.json": `${JSON.stringify(
    {
      name: "sample-slugify",
      version: "1.0.0",
      private: true,
      type: "module",
      // An explicit file: `node --test test/` reads the directory as a file name on Node 21+.
      scripts: { test: "node --test test/slugify.test.js" },
    },
    null,
    2,
  )}\n`,
  "src/slugify.js": `// Turns a title into a URL slug.
export function slugify(title) {
  return title.toLowerCase().replace(/ /g, "-");
}
`,
  "test/slugify.test.js": `import assert from "node:assert/strict";
import { test } from "node:test";
import { slugify } from "../src/slugify.js";

test("lowercases and joins words", () => {
  assert.equal(slugify("Hello World"), "hello-world");
});

test("drops punctuation", () => {
  assert.equal(slugify("Hello, World!"), "hello-world");
});

test("collapses runs of spaces and trims dashes", () => {
  assert.equal(slugify("  Many   spaces here "), "many-spaces-here");
});
`,
  "README.md": "# sample-slugify\n\nA tiny library used by the omk demo.\n",
};

function git(cwd, ...args) {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export function makeSample(dir, files = SAMPLE_FILES) {
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", "omk demo");
  git(dir, "config", "user.email", "demo@omk.invalid");
  git(dir, "config", "commit.gpgsign", "false");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "sample: slugify library");
  return dir;
}
