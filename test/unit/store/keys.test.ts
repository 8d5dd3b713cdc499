import { createPublicKey, sign, verify } from "node:crypto";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { keyFiles, loadOrCreateSigningKey, loadSigningKey, parsePublicKey } from "../../../src/store/keys.js";
import type { OmkDirs } from "../../../src/store/paths.js";
import { tempDir, withUmask0 } from "./tmp-dir.js";

async function dirsIn(): Promise<OmkDirs> {
  const root = await tempDir();
  return { state: `${root}/state`, config: `${root}/config`, cache: `${root}/cache` };
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe("the receipt signing key", () => {
  it("is created on first use, 0600 in a 0700 dir whatever the umask, and the same key afterwards", async () => {
    const dirs = await dirsIn();
    expect(await loadSigningKey(dirs)).toBeNull();
    const k = await withUmask0(() => loadOrCreateSigningKey(dirs));
    expect(k.created).toBe(true);
    const { dir, file, publicFile } = keyFiles(dirs);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(file)).toBe(0o600);
    expect(await readFile(file, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await readFile(publicFile, "utf8")).toBe(k.pem);
    expect(k.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(k.fingerprint).toBe(k.keyid.slice(0, 16));

    const again = await loadOrCreateSigningKey(dirs);
    expect(again.created).toBe(false);
    expect(again.keyid).toBe(k.keyid);
    const sig = sign(null, Buffer.from("x"), again.privateKey);
    expect(verify(null, Buffer.from("x"), createPublicKey(k.pem), sig)).toBe(true);
  });

  it("two omks creating it at once end up with one key", async () => {
    const dirs = await dirsIn();
    const keys = await Promise.all(Array.from({ length: 6 }, () => loadOrCreateSigningKey(dirs)));
    expect(new Set(keys.map((k) => k.keyid)).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
    expect((await loadSigningKey(dirs))?.keyid).toBe(keys[0]?.keyid);
  });

  it("a private key others can read is refused, with the way out", async () => {
    const dirs = await dirsIn();
    const { file } = await loadOrCreateSigningKey(dirs);
    await chmod(file, 0o644);
    const err = await loadSigningKey(dirs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OmkError);
    expect((err as OmkError).message).toMatch(/accessible to others \(mode 644\)/);
    expect((err as OmkError).hint).toContain("chmod 600");
  });

  it("a key file that is not an ed25519 PEM is refused", async () => {
    const dirs = await dirsIn();
    const { file } = await loadOrCreateSigningKey(dirs);
    await writeFile(file, "not a key\n", { mode: 0o600 });
    await expect(loadSigningKey(dirs)).rejects.toThrow(/holds no PEM private key/);
  });

  it("parsePublicKey takes what `key show` prints and refuses anything else", async () => {
    const k = await loadOrCreateSigningKey(await dirsIn());
    expect(parsePublicKey(k.pem, "k.pub").keyid).toBe(k.keyid);
    expect(() => parsePublicKey("garbage", "k.pub")).toThrow(/k.pub holds no PEM public key/);
    const { generateKeyPairSync } = await import("node:crypto");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    expect(() => parsePublicKey(rsa.toString(), "rsa.pub")).toThrow(/rsa key, not ed25519/);
  });
});
