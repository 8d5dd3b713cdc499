import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { link, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import type { OmkDirs } from "./paths.js";
import { ensurePrivateDir, writePrivateFile } from "./private-fs.js";

/**
 * omk's receipt-signing key pair: ed25519, kept in `<config>/keys/`. The private key is PKCS#8 PEM
 * (0600, in a 0700 dir); the public key beside it is SPKI PEM, derived from the private one and only
 * a convenience copy: everything that verifies with the local key derives it from the private file.
 */
export interface PublicKeyInfo {
  publicKey: KeyObject;
  /** SPKI PEM, as `omk key show` prints it and `proof verify --key` reads it. */
  pem: string;
  /** sha256 (hex) of the DER-encoded SPKI: the DSSE `keyid`. */
  keyid: string;
  /** The first 16 hex digits of the keyid, for people. */
  fingerprint: string;
}

export interface SigningKey extends PublicKeyInfo {
  privateKey: KeyObject;
  file: string;
  publicFile: string;
}

const KEY_FILE = "receipt-ed25519.pem";
const PUBLIC_FILE = "receipt-ed25519.pub.pem";

export function keyFiles(dirs: OmkDirs): { dir: string; file: string; publicFile: string } {
  const dir = join(dirs.config, "keys");
  return { dir, file: join(dir, KEY_FILE), publicFile: join(dir, PUBLIC_FILE) };
}

/** Key id, fingerprint and PEM of an ed25519 public key. */
export function describePublicKey(publicKey: KeyObject): PublicKeyInfo {
  if (publicKey.asymmetricKeyType !== "ed25519") {
    throw new OmkError(
      "CONFIG_INVALID",
      `expected an ed25519 public key, got ${publicKey.asymmetricKeyType}`,
      {
        hint: "use the key `omk key show` prints",
      },
    );
  }
  const der = publicKey.export({ type: "spki", format: "der" });
  const keyid = createHash("sha256").update(der).digest("hex");
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return { publicKey, pem, keyid, fingerprint: keyid.slice(0, 16) };
}

/** A public key from PEM text (`proof verify --key FILE`); CONFIG_INVALID when it is not an ed25519 one. */
export function parsePublicKey(text: string, source: string): PublicKeyInfo {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: "pem" });
  } catch {
    throw new OmkError("CONFIG_INVALID", `${source} holds no PEM public key`, {
      hint: "pass the file `omk key show > omk-receipts.pub` wrote",
    });
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new OmkError("CONFIG_INVALID", `${source} is a ${key.asymmetricKeyType} key, not ed25519`, {
      hint: "pass the file `omk key show > omk-receipts.pub` wrote",
    });
  return describePublicKey(key);
}

/**
 * The signing key if one exists (null otherwise); never creates one. A key file others can read is
 * refused: anyone who can read it can forge receipts.
 */
export async function loadSigningKey(dirs: OmkDirs): Promise<SigningKey | null> {
  const { file, publicFile } = keyFiles(dirs);
  let pem: Buffer;
  try {
    const st = await stat(file);
    // Windows reports no POSIX modes worth checking; its ACLs are the user profile's.
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      throw new OmkError(
        "CONFIG_INVALID",
        `the signing key ${file} is accessible to others (mode ${(st.mode & 0o777).toString(8)})`,
        {
          hint: `chmod 600 ${file} — or, if others may have read it, remove it so omk makes a new one`,
        },
      );
    }
    pem = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    if (err instanceof OmkError) throw err;
    throw new OmkError("IO_FAILED", `cannot read the signing key ${file}: ${(err as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new OmkError("CONFIG_INVALID", `${file} holds no PEM private key`, {
      hint: `remove ${file} so omk makes a new key (receipts signed with the old one no longer verify locally)`,
    });
  }
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new OmkError("CONFIG_INVALID", `${file} is a ${privateKey.asymmetricKeyType} key, not ed25519`, {
      hint: `remove ${file} so omk makes a new one`,
    });
  return { ...describePublicKey(createPublicKey(privateKey)), privateKey, file, publicFile };
}

/**
 * The signing key, made on first use. Two omks making it at once both end up with the same key: the
 * new private key is written privately to a temp name and hard-linked into place, which fails when
 * another one got there first (rename would silently replace it, orphaning receipts already signed).
 */
export async function loadOrCreateSigningKey(dirs: OmkDirs): Promise<SigningKey & { created: boolean }> {
  const existing = await loadSigningKey(dirs);
  if (existing !== null) {
    await ensurePublicFile(existing);
    return { ...existing, created: false };
  }
  const { dir, file } = keyFiles(dirs);
  await ensurePrivateDir(dir);
  const { privateKey } = generateKeyPairSync("ed25519");
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  let created = true;
  try {
    await writePrivateFile(tmp, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new OmkError("IO_FAILED", `cannot create the signing key ${file}: ${(err as Error).message}`);
    }
    created = false;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const key = await loadSigningKey(dirs);
  if (key === null) throw new OmkError("IO_FAILED", `the signing key ${file} vanished after it was created`);
  await ensurePublicFile(key);
  return { ...key, created };
}

/** Writes the public copy when it is missing or stale (it is derived, never read as the truth). */
async function ensurePublicFile(key: SigningKey): Promise<void> {
  const current = await readFile(key.publicFile, "utf8").catch(() => null);
  if (current !== key.pem) await writePrivateFile(key.publicFile, key.pem);
}
