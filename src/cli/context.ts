import type { Command } from "commander";
import { Output } from "./output.js";

export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** Every command starts here: global flags → one Output. */
export function outputFor(cmd: Command): Output {
  return Output.fromEnv(cmd.optsWithGlobals<GlobalFlags>());
}

/** Repeatable flag collector for commander (`--gate a --gate b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}
