// Run servecalc's doctests (and those of the site layer's modules that page cells
// import in the browser) inside Pyodide on Node. fieldguide.prose is left out: its
// functions fill the pages' sentences at build time, on CPython only (its doctests
// run there), and its capacity searches were most of this run's time.
//
// Usage: node tests/pyodide/run_doctests.mjs path/to/servecalc-*.whl
// Boots the npm Pyodide (the same core the site serves), installs the wheel,
// runs doctest.testmod on every servecalc module and exits non-zero on any
// failure. The last line reads "N passed, M failed".
import { loadPyodide } from "pyodide";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const wheel = process.argv[2];
if (!wheel) {
  console.error("usage: node run_doctests.mjs <servecalc wheel>");
  process.exit(2);
}

const t0 = performance.now();
const pyodide = await loadPyodide({ stdout: (s) => console.log(s), stderr: (s) => console.error(s) });
const bootMs = performance.now() - t0;

// Unpack the wheel straight into site-packages (no micropip, no network).
pyodide.FS.writeFile(`/tmp/${basename(wheel)}`, readFileSync(wheel));
pyodide.runPython(`
import sys, zipfile, sysconfig
zipfile.ZipFile("/tmp/${basename(wheel)}").extractall(sysconfig.get_paths()["purelib"])
`);

const summary = pyodide.runPython(`
import doctest, importlib, pkgutil, sys, time
import fieldguide.validation
import servecalc

# The library, and the site layer's modules that page cells use in the browser.
names = [i.name for i in pkgutil.walk_packages(servecalc.__path__, "servecalc.")]
names += [i.name for i in pkgutil.walk_packages(fieldguide.validation.__path__, "fieldguide.validation.")]
names += ["fieldguide.cells", "fieldguide.drills", "fieldguide.isolation", "fieldguide.validation"]
failed = attempted = 0
for name in sorted(names):
    if name.endswith("__main__"):
        continue
    started = time.perf_counter()
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    print(f"{name}: {result.attempted - result.failed} passed, {result.failed} failed, "
          f"{time.perf_counter() - started:.1f} s")
    failed += result.failed
    attempted += result.attempted
f"{sys.version.split()[0]}|{attempted}|{failed}"
`);
const [version, attempted, failed] = summary.split("|");
console.log(`Python ${version} in Pyodide ${pyodide.version}; boot ${(bootMs / 1000).toFixed(1)} s`);
console.log(`${attempted - failed} passed, ${failed} failed`);
process.exit(Number(failed) === 0 && Number(attempted) > 0 ? 0 : 1);
