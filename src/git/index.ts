export { commitStaged } from "./commit.js";
export { PINNED_DIFF_ARGS, stageAndDiff } from "./diff.js";
export { FALLBACK_EMAIL, FALLBACK_NAME, identityArgs } from "./identity.js";
export { type MergeIntoResult, mergeInto, mergeTreeCheck } from "./merge.js";
export type { ChangedFile, ChangeStatus, StatusEntry, WorktreeInfo } from "./parse.js";
export { applyPatch, writePatch } from "./patch.js";
export { branchCommit, branchExists, currentBranch, deleteBranch, headCommit, isAncestor } from "./refs.js";
export { addToInfoExclude, findRepoRoot, isDirty, requireRepoRoot } from "./repo.js";
export {
  checkRevArg,
  type GitResult,
  type GitRunner,
  type GitRunOptions,
  git,
  isTransientLockError,
} from "./runner.js";
export { addWorktree, listWorktrees, pruneWorktrees, removeWorktree } from "./worktree.js";
