import type { Command } from "commander";
import { examples, outputFor } from "../context.js";

export function registerKey(program: Command): void {
  const key = program
    .command("key")
    .description("The ed25519 key omk signs run receipts (proof.intoto.json) with.")
    .addHelpText("after", examples(["omk key show", "omk key show > omk-receipts.pub"]));

  key
    .command("show")
    .description(
      "Print the receipt-signing public key as PEM on stdout (its fingerprint goes to stderr), creating " +
        "the key pair on first use under omk's config dir ($XDG_CONFIG_HOME/omk/keys, private key 0600). " +
        "Give the PEM to whoever verifies your receipts: omk proof verify --bundle FILE --key PUBKEY.",
    )
    .addHelpText("after", examples(["omk key show > omk-receipts.pub", "omk key show --json"]))
    .action(async (_flags: unknown, cmd: Command) => {
      const { loadOrCreateSigningKey } = await import("../../store/keys.js");
      const { omkDirs } = await import("../../store/paths.js");
      const out = outputFor(cmd);
      const k = await loadOrCreateSigningKey(omkDirs(process.env));
      if (k.created) out.info(`created a new signing key: ${k.file}`);
      if (out.opts.json)
        out.json({
          algorithm: "ed25519",
          keyid: k.keyid,
          fingerprint: k.fingerprint,
          publicKeyPem: k.pem,
          publicKeyFile: k.publicFile,
          privateKeyFile: k.file,
          created: k.created,
        });
      else out.resultRaw(k.pem);
      out.info(`ed25519 key ${k.fingerprint} (keyid sha256:${k.keyid}), public key in ${k.publicFile}`);
    });
}
