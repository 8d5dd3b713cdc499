// A deterministic mixed corpus for the redactor benchmark: source code, logs, JSON and prose with a
// small fraction of planted secrets of every shape the redactor knows. Same seed → same bytes.

import { picker, rng } from "./util.mjs";

export function makeCorpus(totalBytes, seed = 42) {
  const rnd = rng(seed);
  const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const pick = picker(rnd);
  const secrets = [
    () => `ghp_${pick(alnum, 36)}`,
    () => `AKIA${pick(upper, 16)}`,
    () => `xoxb-${pick("0123456789", 12)}-${pick("0123456789", 12)}-${pick(alnum, 24)}`,
    () => `sk_live_${pick(alnum, 24)}`,
    () => `Authorization: Bearer ${pick(alnum, 40)}`,
    () => `sk-proj-${pick(alnum, 48)}`,
    () => `sk-ant-api03-${pick(alnum, 80)}`,
    () => `npm_${pick(alnum, 36)}`,
    () => `AIza${pick(alnum, 35)}`,
    () => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${pick(alnum, 43)}`,
  ];
  const lines = [
    () =>
      `export function handle${pick(alnum, 6)}(req, res) { return res.status(200).json({ ok: true, id: "${pick(alnum, 12)}" }); }`,
    () =>
      `2026-11-23T09:${pick("012345", 1)}${pick("0123456789", 1)}:00Z INFO request id=${pick(alnum, 16)} path=/api/v1/items status=200 ms=${Math.floor(rnd() * 900)}`,
    () =>
      `  "name": "${pick(alnum, 10)}", "version": "1.${Math.floor(rnd() * 20)}.0", "description": "a package for ${pick(alnum, 8)}",`,
    () => "The quick brown fox jumps over the lazy dog while the build runs its tests again and again.",
    () => `const url = "https://example.invalid/${pick(alnum, 20)}?q=${pick(alnum, 8)}"; // see docs`,
  ];
  const parts = [];
  let size = 0;
  let planted = 0;
  while (size < totalBytes) {
    const line =
      rnd() < 0.002
        ? `config value = ${secrets[Math.floor(rnd() * secrets.length)]()}`
        : lines[Math.floor(rnd() * lines.length)]();
    if (line.startsWith("config value")) planted++;
    parts.push(line);
    size += line.length + 1;
  }
  return { text: `${parts.join("\n")}\n`, planted };
}
