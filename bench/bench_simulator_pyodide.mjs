// Benchmark: the serving simulator inside Pyodide on Node, against CPython.
//
// Usage: node bench/bench_simulator_pyodide.mjs [--no-build] [--json]
//
// Builds the servecalc wheel into build/wheel/ (skip with --no-build to reuse
// the one there), boots the npm Pyodide (the core the site serves), unpacks the
// wheel into site-packages, and runs bench/bench_simulator.py inside it: the
// same Python, the same run (Llama-3.1-8B, one H100 SXM, 10,000 requests at
// 80 % of capacity, continuous batching, median of 5). Then it runs the same
// file on CPython (.venv/bin/python) and prints both medians and the ratio.
import { loadPyodide } from "pyodide";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const python = join(root, ".venv", "bin", "python");
const wheelDir = join(root, "build", "wheel");
const args = process.argv.slice(2);

function wheels() {
  return existsSync(wheelDir) ? readdirSync(wheelDir).filter((f) => /^servecalc-.*\.whl$/.test(f)) : [];
}

if (!args.includes("--no-build")) {
  mkdirSync(wheelDir, { recursive: true });
  for (const old of wheels()) rmSync(join(wheelDir, old));
  execFileSync(python, ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
    "-w", wheelDir, "."], { cwd: root, stdio: "inherit", env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" } });
}
const found = wheels();
if (found.length !== 1) {
  console.error(`expected one servecalc wheel in ${wheelDir}, found ${found.length}`);
  process.exit(2);
}

const t0 = performance.now();
const pyodide = await loadPyodide();
const bootS = (performance.now() - t0) / 1000;
pyodide.FS.writeFile(`/tmp/${found[0]}`, readFileSync(join(wheelDir, found[0])));
pyodide.FS.writeFile("/tmp/bench_simulator.py", readFileSync(join(root, "bench", "bench_simulator.py")));
const pyodideReport = JSON.parse(pyodide.runPython(`
import contextlib, io, json, sys, sysconfig, zipfile
zipfile.ZipFile("/tmp/${found[0]}").extractall(sysconfig.get_paths()["purelib"])
sys.path.insert(0, "/tmp")
import bench_simulator
out = io.StringIO()
with contextlib.redirect_stdout(out):
    bench_simulator.main(["--json"])
out.getvalue()
`));

const cpythonReport = JSON.parse(execFileSync(python, [join(root, "bench", "bench_simulator.py"), "--json"],
  { cwd: root, encoding: "utf8" }));

const ratio = pyodideReport.median_s / cpythonReport.median_s;
const summary = {
  benchmark: "simulator-pyodide",
  pyodide: pyodide.version,
  pyodide_python: pyodideReport.python,
  cpython: cpythonReport.python,
  boot_s: bootS,
  requests: pyodideReport.requests,
  steps: pyodideReport.steps,
  pyodide_median_s: pyodideReport.median_s,
  pyodide_runs_s: pyodideReport.runs_s,
  cpython_median_s: cpythonReport.median_s,
  ratio,
  pyodide_cpu_median_s: pyodideReport.cpu_median_s,
  cpython_cpu_median_s: cpythonReport.cpu_median_s,
  same_steps: pyodideReport.steps === cpythonReport.steps,
  pyodide_capacity_median_s: pyodideReport.capacity_median_s,
  cpython_capacity_median_s: cpythonReport.capacity_median_s,
  cpython_capacity_cpu_median_s: cpythonReport.capacity_cpu_median_s,
  capacity_requests_simulated: cpythonReport.capacity_requests_simulated,
  same_capacity: pyodideReport.capacity_requests_per_s === cpythonReport.capacity_requests_per_s,
};
if (args.includes("--json")) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  console.log(`simulator, ${summary.requests.toLocaleString("en-US")} requests (${summary.steps.toLocaleString("en-US")} steps), continuous batching, median of 5`);
  console.log(`  Pyodide ${summary.pyodide} (Python ${summary.pyodide_python}): ${summary.pyodide_median_s.toFixed(3)} s (boot ${bootS.toFixed(1)} s)`);
  console.log(`  CPython ${summary.cpython}: ${summary.cpython_median_s.toFixed(3)} s`);
  console.log(`  ratio Pyodide / CPython: ${ratio.toFixed(2)}x`);
}
process.exit(summary.same_steps && summary.same_capacity ? 0 : 1);
