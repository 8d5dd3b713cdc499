#!/usr/bin/env node
// `npm run bench [-- foundation|scan|run|output|sandbox|goal]`: ratios against baselines measured in the same run; results in bench/results/.
// `foundation` includes the secret-scan benchmarks (`scan` runs them alone).
const which = process.argv[2] ?? "all";
if (which === "all" || which === "foundation") {
  process.stderr.write("bench: foundation\n");
  const { benchFoundation } = await import("./foundation.mjs");
  await benchFoundation();
}
if (which === "all" || which === "foundation" || which === "scan") {
  process.stderr.write("bench: secret scan\n");
  const { benchScan } = await import("./scan.mjs");
  await benchScan();
}
if (which === "all" || which === "run") {
  process.stderr.write("bench: run overhead\n");
  const { benchRun } = await import("./run-overhead.mjs");
  await benchRun();
}
if (which === "all" || which === "output") {
  process.stderr.write("bench: agent output\n");
  const { benchOutput } = await import("./output.mjs");
  await benchOutput();
}
if (which === "all" || which === "sandbox") {
  process.stderr.write("bench: confinement\n");
  const { benchSandbox } = await import("./sandbox.mjs");
  await benchSandbox();
}
if (which === "all" || which === "goal") {
  process.stderr.write("bench: goal scheduler\n");
  const { benchGoal } = await import("./goal.mjs");
  await benchGoal();
}
