// The Python runtime for live cells: one Web Worker per tab, running the
// self-hosted Pyodide core with the wheels registered in the site's
// pyodide-lock.json (the browser checks each one's sha256).
//
// Messages in:  {type: "boot", indexURL, lockURL}
//               {type: "run", id, code}            -> fieldguide.cells.run_cell
//               {type: "calc", id, name, values}   -> fieldguide.calculators.render_json
// Messages out: {type: "ready", bootMs} | {type: "boot-error", message}
//               {type: "started", id} | {type: "result", id, ...} | {type: "progress", id, ...}

let pyodide = null;
let cells = null;
const queue = [];
let busy = false;

// Installed synchronously, before any await: a message that arrives while the
// worker is still loading must not be lost. Messages are handled in order.
self.onmessage = (event) => {
  queue.push(event.data);
  pump();
};

async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const msg = queue.shift();
    try {
      await handle(msg);
    } catch (err) {
      self.postMessage({ type: "result", id: msg.id, stdout: "", error: `${err.name}: ${err.message}`, text: `${err.name}: ${err.message}` });
    }
  }
  busy = false;
}

// When a core asset fails to download, Emscripten logs the error and
// loadPyodide never settles: turn the failure into a boot error.
let bootFailed = null;
self.addEventListener("unhandledrejection", (event) => {
  if (!pyodide && bootFailed) {
    const why = event.reason && event.reason.message ? event.reason.message : String(event.reason);
    bootFailed(new Error(`the Python runtime could not be downloaded (${why})`));
  }
});

/**
 * Fetch a wheel the site's lock lists, with Subresource Integrity: the browser
 * refuses bytes whose sha256 differs from the lock's (what loadPackage does).
 */
async function fetchLockedWheel(lockURL, name) {
  const lock = await (await fetch(lockURL)).json();
  const entry = lock.packages[name];
  if (!entry) throw new Error(`${name} is not registered in ${lockURL}`);
  const digest = btoa(String.fromCharCode(...entry.sha256.match(/../g).map((h) => parseInt(h, 16))));
  const response = await fetch(new URL(entry.file_name, lockURL), { integrity: `sha256-${digest}` });
  if (!response.ok) throw new Error(`${entry.file_name}: HTTP ${response.status}`);
  return { fileName: entry.file_name.split("/").pop(), bytes: new Uint8Array(await response.arrayBuffer()) };
}

async function boot({ indexURL, lockURL }) {
  const t0 = performance.now();
  try {
    // servecalc downloads while Pyodide starts; it is installed by unpacking
    // the wheel, which skips the package loader's start-up (about 0.2 s here).
    // Charts' wheels (pygal...) go through pyodide.loadPackage on first use.
    const wheel = fetchLockedWheel(lockURL, "servecalc");
    wheel.catch(() => {}); // reported below, once Pyodide is up
    const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
    const failed = new Promise((_, reject) => { bootFailed = reject; });
    pyodide = await Promise.race([
      loadPyodide({ indexURL, lockFileURL: lockURL, stdout: () => {}, stderr: () => {} }),
      failed,
    ]);
    const { fileName, bytes } = await wheel.catch((err) => {
      throw new Error(`the servecalc wheel could not be loaded (${err.message})`);
    });
    pyodide.FS.writeFile(`/tmp/${fileName}`, bytes);
    pyodide.runPython(`
import sys, zipfile
site = next(p for p in sys.path if p.endswith("site-packages"))
zipfile.ZipFile("/tmp/${fileName}").extractall(site)
`);
    cells = pyodide.pyimport("fieldguide.cells");
    self.postMessage({ type: "ready", bootMs: performance.now() - t0 });
    setTimeout(warmUp, 0);
  } catch (err) {
    pyodide = null;
    self.postMessage({ type: "boot-error", message: err && err.message ? err.message : String(err) });
  }
}

function run({ id, code }) {
  if (!cells) return; // boot failed; the page already said so
  self.postMessage({ type: "started", id });
  const t0 = performance.now();
  const result = JSON.parse(cells.run_cell_json(code));
  self.postMessage({ type: "result", id, ms: performance.now() - t0, ...result });
}

// While the reader reads, import servecalc's modules one at a time, so the
// first cell on the next chapter does not pay for compiling them. A queued
// message always goes first.
let warmModules = null;
function warmUp() {
  if (!cells) return;
  if (warmModules === null) {
    warmModules = pyodide.runPython(
      "import pkgutil, servecalc; [m.name for m in pkgutil.walk_packages(servecalc.__path__, 'servecalc.')"
        + " if m.name not in ('servecalc.__main__', 'servecalc.cli')]",
    ).toJs();
  }
  if (busy || queue.length) {
    setTimeout(warmUp, 50);
    return;
  }
  const name = warmModules.shift();
  if (!name) return;
  try {
    pyodide.pyimport(name);
  } catch (err) {
    // a module that fails to import will say so when a cell uses it
  }
  setTimeout(warmUp, 0);
}

let calculators = null;

// Calculators draw pygal charts: pygal and its imports load on first use, not
// at boot, so a page with only code cells never pays for them.
async function calc({ id, name, values }) {
  if (!pyodide) return;
  if (!calculators) {
    const errors = [];
    await pyodide.loadPackage("pygal", {
      messageCallback: () => {},
      errorCallback: (message) => errors.push(message),
    });
    if (errors.length) throw new Error(`could not load the chart library: ${errors.join("; ")}`);
    calculators = pyodide.pyimport("fieldguide.calculators");
  }
  self.postMessage({ type: "started", id });
  const t0 = performance.now();
  const progress = (fraction) => self.postMessage({ type: "progress", id, fraction });
  const result = JSON.parse(calculators.render_json(name, JSON.stringify(values), progress));
  self.postMessage({ type: "result", id, ms: performance.now() - t0, ...result });
}

async function handle(msg) {
  if (msg.type === "boot") return boot(msg);
  if (msg.type === "run") return run(msg);
  if (msg.type === "calc") return calc(msg);
  throw new Error(`unknown message type ${JSON.stringify(msg.type)}`);
}
