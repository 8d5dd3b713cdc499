import { describe, expect, it } from "vitest";
import {
  parseGitlinksZ,
  parseMergeTreeZ,
  parseRawNumstatZ,
  parseRefList,
  parseStatusV2Z,
  parseStatusZ,
  parseWorktreeListZ,
  splitZ,
} from "../../../src/git/parse.js";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
const ZERO = "0".repeat(40);

describe("splitZ", () => {
  it("drops only the final terminator", () => {
    expect(splitZ("")).toEqual([]);
    expect(splitZ("a\0b\0")).toEqual(["a", "b"]);
    expect(splitZ("a\0\0")).toEqual(["a", ""]);
  });
});

describe("parseStatusZ", () => {
  it("reads plain entries and rename pairs (new path first, then the source)", () => {
    const out = " M src/a.ts\0?? dir/new file.txt\0R  new.txt\0old.txt\0D  gone\0";
    expect(parseStatusZ(out)).toEqual([
      { xy: " M", path: "src/a.ts" },
      { xy: "??", path: "dir/new file.txt" },
      { xy: "R ", path: "new.txt", origPath: "old.txt" },
      { xy: "D ", path: "gone" },
    ]);
  });

  it("rejects output it does not understand", () => {
    expect(() => parseStatusZ("garbage\0")).toThrow(/unexpected output from git status/);
    expect(() => parseStatusZ("R  new.txt\0")).toThrow(/rename without source/);
  });
});

describe("parseRawNumstatZ", () => {
  it("joins raw status with numstat counts, renames and binaries included", () => {
    const raw = [
      `:100644 100644 ${SHA_A} ${SHA_B} M`,
      "a.txt",
      `:000000 100644 ${ZERO} ${SHA_B} A`,
      "img.png",
      `:100644 100644 ${SHA_A} ${SHA_A} R100`,
      "old name.txt",
      "new\tname.txt",
      `:100644 000000 ${SHA_A} ${ZERO} D`,
      ":colon-first",
    ];
    const num = [
      "3\t1\ta.txt",
      "-\t-\timg.png",
      "0\t0\t",
      "old name.txt",
      "new\tname.txt",
      "0\t7\t:colon-first",
    ];
    const out = `${[...raw, ...num].join("\0")}\0`;
    expect(parseRawNumstatZ(out)).toEqual([
      { path: "a.txt", status: "M", added: 3, deleted: 1, binary: false },
      { path: "img.png", status: "A", added: null, deleted: null, binary: true },
      { path: "new\tname.txt", oldPath: "old name.txt", status: "R", added: 0, deleted: 0, binary: false },
      { path: ":colon-first", status: "D", added: 0, deleted: 7, binary: false },
    ]);
  });

  it("is empty for an empty diff", () => {
    expect(parseRawNumstatZ("")).toEqual([]);
  });

  it("refuses records that are out of step or of an unknown status", () => {
    expect(() => parseRawNumstatZ(`:100644 100644 ${SHA_A} ${SHA_B} M\0a\0`)).toThrow(/1 raw records but 0/);
    expect(() =>
      parseRawNumstatZ([`:100644 100644 ${SHA_A} ${SHA_B} M`, "a", "1\t1\tb", ""].join("\0")),
    ).toThrow(/out of step/);
    expect(() =>
      parseRawNumstatZ([`:160000 160000 ${SHA_A} ${SHA_B} U`, "a", "1\t1\ta", ""].join("\0")),
    ).toThrow(/status/);
  });
});

describe("parseWorktreeListZ", () => {
  it("reads main, linked, detached, locked and unborn worktrees", () => {
    const out = [
      "worktree /repo",
      `HEAD ${SHA_A}`,
      "branch refs/heads/main",
      "",
      "worktree /repo/.omk/worktrees/run 1",
      `HEAD ${SHA_B}`,
      "detached",
      "locked",
      "",
      "worktree /elsewhere",
      `HEAD ${ZERO}`,
      "branch refs/heads/new",
      "prunable gitdir file points to non-existent location",
      "",
      "",
    ].join("\0");
    expect(parseWorktreeListZ(out)).toEqual([
      {
        path: "/repo",
        head: SHA_A,
        branch: "main",
        bare: false,
        detached: false,
        locked: false,
        prunable: false,
      },
      {
        path: "/repo/.omk/worktrees/run 1",
        head: SHA_B,
        branch: null,
        bare: false,
        detached: true,
        locked: true,
        prunable: false,
      },
      {
        path: "/elsewhere",
        head: null,
        branch: "new",
        bare: false,
        detached: false,
        locked: false,
        prunable: true,
      },
    ]);
  });
});

describe("parseMergeTreeZ", () => {
  it("reads the tree and de-duplicated conflicted paths", () => {
    expect(parseMergeTreeZ(`${SHA_A}\0`)).toEqual({ tree: SHA_A, conflicts: [] });
    expect(parseMergeTreeZ(`${SHA_A}\0a.txt\0dir/b c.txt\0a.txt\0`)).toEqual({
      tree: SHA_A,
      conflicts: ["a.txt", "dir/b c.txt"],
    });
  });

  it("stops at the end of the conflicted-file section", () => {
    expect(parseMergeTreeZ(`${SHA_A}\0a.txt\0\x001\0a.txt\0Auto-merging\0`).conflicts).toEqual(["a.txt"]);
  });

  it("rejects output without a tree id", () => {
    expect(() => parseMergeTreeZ("fatal: nope")).toThrow(/merge-tree/);
  });
});

describe("parseStatusV2Z", () => {
  it("reads branch headers, changed, renamed, unmerged and untracked records, paths with spaces", () => {
    const out = [
      `# branch.oid ${SHA_A}`,
      "# branch.head main",
      `1 .M N... 100644 100644 100644 ${SHA_A} ${SHA_A} src/a b.ts`,
      `2 R. N... 100644 100644 100644 ${SHA_A} ${SHA_A} R100 new name.txt`,
      "old name.txt",
      `u UU N... 100644 100644 100644 100644 ${SHA_A} ${SHA_B} ${SHA_A} both.txt`,
      "? untracked file",
      "",
    ].join("\0");
    const s = parseStatusV2Z(out);
    expect(s.oid).toBe(SHA_A);
    expect(s.head).toBe("main");
    expect(s.entries.map(({ kind, xy, path, origPath }) => ({ kind, xy, path, origPath }))).toEqual([
      { kind: "1", xy: ".M", path: "src/a b.ts", origPath: undefined },
      { kind: "2", xy: "R.", path: "new name.txt", origPath: "old name.txt" },
      { kind: "u", xy: "UU", path: "both.txt", origPath: undefined },
      { kind: "?", xy: "??", path: "untracked file", origPath: undefined },
    ]);
    expect(s.entries[0]?.fields).toBe(`1 .M N... 100644 100644 100644 ${SHA_A} ${SHA_A}`);
  });

  it("reads an unborn or detached HEAD as null and rejects garbage", () => {
    expect(parseStatusV2Z("# branch.oid (initial)\0# branch.head (detached)\0")).toEqual({
      oid: null,
      head: null,
      entries: [],
    });
    expect(() => parseStatusV2Z("1 .M short\0")).toThrow(/unexpected output/);
    expect(() => parseStatusV2Z("x what\0")).toThrow(/unexpected output/);
  });
});

describe("parseRefList", () => {
  it("reads names, object ids and symbolic targets", () => {
    expect(
      parseRefList(`refs/heads/main\0${SHA_A}\0\nrefs/remotes/o/HEAD\0${SHA_A}\0refs/remotes/o/main\n`),
    ).toEqual([
      { name: "refs/heads/main", oid: SHA_A },
      { name: "refs/remotes/o/HEAD", oid: SHA_A, symref: "refs/remotes/o/main" },
    ]);
    expect(parseRefList("")).toEqual([]);
    expect(() => parseRefList("refs/heads/x\n")).toThrow(/unexpected output/);
  });
});

describe("parseGitlinksZ", () => {
  it("picks submodule entries from ls-files --stage and ls-tree output", () => {
    expect(parseGitlinksZ(`100644 ${SHA_A} 0\ta.txt\x00160000 ${SHA_B} 0\tdeps/lib one\x00`)).toEqual([
      "deps/lib one",
    ]);
    expect(parseGitlinksZ(`160000 commit ${SHA_B}\tsub\x00040000 tree ${SHA_A}\tdir\x00`)).toEqual(["sub"]);
    expect(parseGitlinksZ("")).toEqual([]);
  });
});
