import { describe, expect, it } from "vitest";
import { quoteArgv } from "../../../src/proc/quote.js";

describe("quoteArgv", () => {
  it("leaves plain words alone and single-quotes the rest", () => {
    expect(quoteArgv(["npm", "run", "test", "--", "-k", "a=b", "./x/y.ts"])).toBe(
      "npm run test -- -k a=b ./x/y.ts",
    );
    expect(quoteArgv(["echo", "hello world", "it's", "", "$HOME", "a;b|c"])).toBe(
      `echo 'hello world' 'it'\\''s' '' '$HOME' 'a;b|c'`,
    );
  });

  it("makes control characters visible instead of printing them", () => {
    expect(quoteArgv(["printf", "a\nb\t\u001b[31m"])).toBe("printf $'a\\nb\\t\\x1b[31m'");
  });

  it("redacts a secret passed as an argument", () => {
    const token = `ghp_${"aB3x".repeat(9)}`;
    const shown = quoteArgv(["curl", "-H", `Authorization: Bearer ${token}`]);
    expect(shown).not.toContain(token);
    expect(shown.startsWith("curl -H ")).toBe(true);
  });
});
