import { access } from "node:fs/promises";

/** Whether anything (file, directory, dangling-free symlink target) is at `p`. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
