import { type Command, Option } from "commander";
import { OmkError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { examples, outputFor } from "../context.js";
import type { Output } from "../output.js";

export function registerProof(program: Command): void {
  const proof = program
    .command("proof")
    .description("Show or independently verify a run's proof.")
    .addHelpText("after", examples(["omk proof show last", "omk proof verify last"]));

  proof
    .command("show <run>")
    .description("Print a run's proof as markdown (default) or JSON.")
    .addOption(new Option("-f, --format <format>", "output format").choices(["md", "json"]).default("md"))
    .addHelpText("after", examples(["omk proof show last", "omk proof show last --format json > proof.json"]))
    .action(async (id: string, flags: { format: "md" | "json" }, cmd: Command) => {
      const { proofMarkdown } = await import("../../proof/markdown.js");
      const { loadProof } = await import("../../proof/show.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const p = await loadProof(await openProject(process.cwd(), process.env), id);
      if (out.opts.json || flags.format === "json") out.json(p);
      else out.resultRaw(proofMarkdown(p));
    });

  proof
    .command("verify [run]")
    .description(
      "Check a run end to end: the ledger's hash chain, proof.json against the ledger, artifact hashes, " +
        "that the run branch still points at the recorded commit, its signed receipt, and (unless --no-gates) " +
        "re-run the gates on that commit in a gate workspace. With --bundle instead of a run, verify a " +
        "receipt (proof.intoto.json) with nothing but the file, the public key and a clone of the " +
        "repository: the signatures, that the subject commit is there with the attested tree on the " +
        "attested base, and that the base commit's .omk/gates.toml is the one the receipt names; no omk " +
        "state is read. Exit 0 iff everything agrees.",
    )
    .option("--no-gates", "skip re-running the gates")
    .addOption(
      new Option(
        "--sandbox <mode>",
        "confine the re-run gates (network as [gates] network) and their [workspace] setup (host network, package caches) with bubblewrap, since they run the run's code: auto (when it works here), required, off (default: OMK_SANDBOX, else [sandbox] mode in .omk/config.toml, else auto)",
      ).choices(["auto", "required", "off"]),
    )
    .option("--bundle <file>", "verify this receipt (proof.intoto.json) instead of a run")
    .option("--key <file>", "with --bundle: the signer's public key (PEM, as `omk key show` prints it)")
    .option("--repo <path>", "with --bundle: a clone of the repository (default: the current directory)")
    .addHelpText(
      "after",
      examples([
        "omk proof verify last",
        "omk proof verify run-mf3k2x9a0-7q --json",
        "omk proof verify --bundle proof.intoto.json --key omk-receipts.pub --repo ./clone",
      ]),
    )
    .action(async (id: string | undefined, flags: VerifyFlags, cmd: Command) => {
      if (flags.bundle !== undefined || flags.key !== undefined || flags.repo !== undefined)
        await verifyBundle(id, flags, cmd);
      else await verifyRun(id, flags, cmd);
    });
}

interface VerifyFlags {
  gates: boolean;
  sandbox?: "auto" | "required" | "off";
  bundle?: string;
  key?: string;
  repo?: string;
}

async function verifyRun(id: string | undefined, flags: VerifyFlags, cmd: Command): Promise<void> {
  const { verifyRunProof } = await import("../../proof/show.js");
  const { interruptController } = await import("../interrupt.js");
  const { openProject } = await import("../../project/open.js");
  if (id === undefined)
    throw new OmkError("USAGE", "omk proof verify needs a run, or --bundle FILE --key PUBKEY", {
      hint: "omk proof verify last",
    });
  const out = outputFor(cmd);
  const project = await openProject(process.cwd(), process.env);
  const confine = flags.gates ? await gateConfinement(project, flags.sandbox) : undefined;
  const intr = interruptController(out);
  try {
    const r = await verifyRunProof(project, id, {
      rerunGates: flags.gates,
      confine,
      signal: intr.signal,
      onGateResult: (name, status, recorded) =>
        out.debug(`  re-ran ${name}: ${status} (recorded ${recorded ?? "—"})`),
    });
    if (out.opts.json) out.json(r);
    printChecks(out, r.checks);
    out.result(
      r.ok
        ? out.paint("green", `proof of ${r.runId} verifies (status ${r.status})`)
        : out.paint("red", `proof of ${r.runId} does NOT verify`),
    );
    process.exitCode = intr.signal.aborted ? ExitCode.interrupted : r.ok ? ExitCode.ok : ExitCode.failure;
  } finally {
    intr.dispose();
  }
}

/** The re-run gates are confined as a run's are: `--sandbox`, else OMK_SANDBOX, else the config. */
async function gateConfinement(
  project: Awaited<ReturnType<typeof import("../../project/open.js").openProject>>,
  mode: "auto" | "required" | "off" | undefined,
): Promise<import("../../proof/verify.js").GateConfinement> {
  const { sandboxFlags } = await import("./run.js");
  const { planGateSandbox, workspaceSpawners } = await import("../../run/confinement.js");
  const { defaultSpawner } = await import("../../proc/context.js");
  const plan = await planGateSandbox(
    project,
    sandboxFlags(mode === undefined ? {} : { sandbox: mode }).sandbox,
  );
  const how = plan.bwrap === null ? `unconfined: ${plan.reason ?? "no sandbox"}` : "confined";
  return async (dir) => ({ ...(await workspaceSpawners(plan, defaultSpawner, project.root, dir)), how });
}

/** Third-party verification: reads only the bundle, the key and the repository — never omk's state. */
async function verifyBundle(id: string | undefined, flags: VerifyFlags, cmd: Command): Promise<void> {
  const { readFile, stat } = await import("node:fs/promises");
  const { resolve } = await import("node:path");
  const { parsePublicKey } = await import("../../store/keys.js");
  const { MAX_RECEIPT_BYTES, verifyReceipt } = await import("../../proof/verify-receipt.js");
  const { requireRepoRoot } = await import("../../git/repo.js");
  const usage = (message: string) =>
    new OmkError("USAGE", message, {
      hint: "omk proof verify --bundle proof.intoto.json --key omk-receipts.pub [--repo PATH]",
    });
  if (id !== undefined) throw usage("give either a run or --bundle, not both");
  if (flags.bundle === undefined || flags.key === undefined)
    throw usage("--bundle and --key go together (and --repo needs them)");
  const out = outputFor(cmd);
  const read = async (file: string, what: string, max: number): Promise<string> => {
    try {
      if ((await stat(file)).size > max) throw usage(`${what} ${file} is larger than ${max} bytes`);
      return await readFile(file, "utf8");
    } catch (err) {
      if (err instanceof OmkError) throw err;
      throw new OmkError("USAGE", `cannot read ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const key = parsePublicKey(await read(resolve(flags.key), "key file", 64 * 1024), flags.key);
  const text = await read(resolve(flags.bundle), "receipt", MAX_RECEIPT_BYTES);
  const root = await requireRepoRoot(resolve(flags.repo ?? process.cwd()));
  const r = await verifyReceipt(text, key, root);
  if (out.opts.json) out.json({ ...r, key: { keyid: key.keyid, fingerprint: key.fingerprint } });
  printChecks(out, r.checks);
  out.result(
    r.ok
      ? out.paint("green", `receipt of ${r.runId} verifies: ${r.commit?.slice(0, 12)} (status ${r.status})`)
      : out.paint("red", `receipt ${flags.bundle} does NOT verify`),
  );
  process.exitCode = r.ok ? ExitCode.ok : ExitCode.failure;
}

function printChecks(out: Output, checks: readonly { ok: boolean; name: string; detail: string }[]): void {
  for (const c of checks)
    out.result(
      `  ${c.ok ? out.paint("green", "ok  ") : out.paint("red", "FAIL")} ${c.name.padEnd(9)} ${c.detail}`,
    );
}
