import { OmkError } from "../core/errors.js";
import { identityArgs } from "./identity.js";
import { headCommit } from "./refs.js";
import { git } from "./runner.js";

/**
 * Commit what is staged in `worktree`; null when nothing is staged (never an empty commit). The message
 * travels on stdin, kept verbatim apart from surrounding whitespace (commit.cleanup=strip would eat lines
 * starting with "#", e.g. issue numbers). Hooks are skipped: in an agent's worktree a hooks path inside
 * the tree (husky and friends) holds agent-written code, and omk's gates, not hooks, judge the change.
 */
export async function commitStaged(worktree: string, message: string): Promise<string | null> {
  if (message.trim() === "") {
    throw new OmkError("USAGE", "commit message is empty", { hint: "pass a non-empty commit message" });
  }
  const g = git(worktree);
  const [staged, identity] = await Promise.all([
    g(["diff", "--cached", "--quiet", "--no-ext-diff"], { okCodes: [1] }),
    identityArgs(worktree),
  ]);
  if (staged.code === 0) return null;
  await g([...identity, "commit", "--quiet", "--no-verify", "--cleanup=whitespace", "-F", "-"], {
    input: message,
  });
  return headCommit(worktree);
}
