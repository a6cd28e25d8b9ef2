// The Python runtime for live cells: one Web Worker per tab, running the
// self-hosted Pyodide core with the wheels registered in the site's
// pyodide-lock.json (the browser checks each one's sha256).
//
// Messages in:  {type: "boot", indexURL, lockURL, port}   (port: a MessagePort)
//               {type: "run", id, code, pageCode}  -> fieldguide.cells.run_cell_json
//               {type: "calc", id, name, values}   -> fieldguide.calculators.render_json
// Messages out, on `port` only: {type: "ready", bootMs, limits} | {type: "boot-error", message}
//               {type: "started", id} | {type: "output", id, text}
//               {type: "progress", id, fraction}
//               {type: "result", id, ms, error, html?, held?, field?, message?, dead?}
//               {type: "stray-error", id, message}: an error escaped after boot
//                 (id: the job being handled then, null between jobs)
//
// A result carries only the keys listed above, each checked, with `type` and
// `id` set last: a result's own keys never choose the channel. `dead` says
// Python can no longer run (a fatal error such as a JavaScript stack
// overflow): the page then starts a fresh worker.
//
// Python in this worker can call `postMessage` (through its `js` module), so
// the page ignores the worker's own message channel: every answer goes through
// the MessagePort the page sent with "boot". Only this module's closures hold
// that port; Python cannot reach it.

let pyodide = null;
let cells = null;
let port = null;
const queue = [];
let busy = false;

// Python can replace globals and prototypes (MessagePort.prototype.postMessage,
// JSON.parse...) through `js`: keep our own references, taken before it runs.
const { apply } = Reflect;
const portPost = MessagePort.prototype.postMessage;
const parseJSON = JSON.parse;
const post = (message) => apply(portPost, port, [message]);

// Installed synchronously, before any await: a message that arrives while the
// worker is still loading must not be lost. Messages are handled in order.
// addEventListener, not onmessage: a cell that overwrites `onmessage` cannot
// take the page's requests away from us, and one it dispatches itself
// (not trusted) is ignored.
self.addEventListener("message", (event) => {
  if (!event.isTrusted) return;
  queue.push(event.data);
  pump();
});

let currentId = null; // the job being handled

// After boot, an error nothing caught comes from code a run left behind (a
// timer, a callback): reported on the port, in order with the results, so
// the page can tell which job it belongs to. Before boot it goes to the page's
// worker.onerror, which says Python could not start.
self.addEventListener("error", (event) => {
  if (!cells) return;
  event.preventDefault();
  const message = typeof event.message === "string" ? event.message : "an error outside any run";
  post({ type: "stray-error", id: currentId, message: message.slice(0, 2000) });
});

async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const msg = queue.shift();
    currentId = msg.id;
    try {
      await handle(msg);
    } catch (err) {
      const dead = isDead(err);
      const text = dead
        ? `Python stopped working (${describeError(err)})`
        : describeError(err);
      post({ type: "result", id: msg.id, ms: 0, error: text, dead });
    } finally {
      currentId = null;
    }
  }
  busy = false;
}

function describeError(err) {
  const name = err && typeof err.name === "string" ? err.name : "Error";
  const message = err && typeof err.message === "string" ? err.message : String(err);
  return `${name}: ${message}`.slice(0, 1000);
}

/** Pyodide cannot run anything after a fatal error (a stack overflow, say). */
function isDead(err) {
  if (!pyodide) return false;
  if (err && err.pyodide_fatal_error) return true;
  try {
    pyodide.runPython("0");
    return false;
  } catch (again) {
    return true;
  }
}

/**
 * The result the page receives: only known keys, each of the expected type,
 * then `type` and `id` (never taken from what Python returned).
 */
function resultMessage(id, ms, result, keys) {
  const message = { ms, error: null };
  if (result && typeof result.error === "string") message.error = result.error.slice(0, 1000);
  for (const key of keys) {
    if (result && typeof result[key] === "string") message[key] = key === "message" ? result[key].slice(0, 1000) : result[key];
  }
  message.type = "result";
  message.id = id;
  return message;
}

// When a core asset fails to download, Emscripten logs the error and
// loadPyodide never settles: turn the failure into a boot error at once,
// naming the file. fetch is watched only while Python starts.
let bootFailed = null;
const realFetch = self.fetch;

function watchedFetch(indexURL) {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input.url || String(input);
    const ours = url.startsWith(indexURL);
    const fileName = url.slice(indexURL.length).split("?")[0];
    let response;
    try {
      response = await realFetch.call(self, input, init);
    } catch (err) {
      if (ours && bootFailed) bootFailed(new Error(`could not download ${fileName} (${err.message})`));
      throw err;
    }
    if (ours && !response.ok && bootFailed) {
      bootFailed(new Error(`could not download ${fileName} (HTTP ${response.status})`));
    }
    return response;
  };
}

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
  const lock = await (await realFetch.call(self, lockURL)).json();
  const entry = lock.packages[name];
  if (!entry) throw new Error(`${name} is not registered in ${lockURL}`);
  const digest = btoa(String.fromCharCode(...entry.sha256.match(/../g).map((h) => parseInt(h, 16))));
  const response = await realFetch.call(self, new URL(entry.file_name, lockURL), { integrity: `sha256-${digest}` });
  if (!response.ok) throw new Error(`${entry.file_name}: HTTP ${response.status}`);
  return { fileName: entry.file_name.split("/").pop(), bytes: new Uint8Array(await response.arrayBuffer()) };
}

async function boot({ indexURL, lockURL, port: replyPort }) {
  if (port) return; // booted once; a second "boot" cannot take the port over
  port = replyPort;
  const t0 = performance.now();
  self.fetch = watchedFetch(indexURL);
  try {
    // servecalc downloads while Pyodide starts; it is installed by unpacking
    // the wheel, which skips the package loader's start-up (about 0.2 s here).
    // Charts' wheels (pygal...) go through pyodide.loadPackage on first use.
    const wheel = fetchLockedWheel(lockURL, "servecalc");
    wheel.catch(() => {}); // reported below, once Pyodide is up
    const failed = new Promise((_, reject) => { bootFailed = reject; });
    const { loadPyodide } = await Promise.race([import(`${indexURL}pyodide.mjs`), failed]);
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
    // Read before any reader's code runs: the page counts output against these.
    const limits = parseJSON(cells.output_limits_json());
    outputChars = limits.chars;
    post({ type: "ready", bootMs: performance.now() - t0, limits });
    setTimeout(warmUp, 0);
  } catch (err) {
    pyodide = null;
    post({ type: "boot-error", message: err && err.message ? err.message : String(err) });
  } finally {
    self.fetch = realFetch;
    bootFailed = null;
  }
}

let outputChars = 0; // the most characters a run shows (fieldguide.cells)

function run({ id, code, pageCode }) {
  if (!cells) return; // boot failed; the page already said so
  post({ type: "started", id });
  const t0 = performance.now();
  // What the cell prints reaches the page in pieces while it runs (at most
  // 64 K characters each, capped in Python). Python can reach this function
  // (sys.stdout.sink) and reset its own counters, so the run's characters are
  // also counted here, with a string's length (nothing Python can patch), and
  // nothing is passed on once the run ended. The page enforces the exact cap.
  let left = outputChars + 1000; // room for the truncation note
  let open = true;
  const sink = (text) => {
    if (!open || typeof text !== "string" || left <= 0) return;
    left -= text.length;
    post({ type: "output", id, text });
  };
  try {
    const result = parseJSON(cells.run_cell_json(code, sink, Boolean(pageCode)));
    post(resultMessage(id, performance.now() - t0, result, []));
  } finally {
    open = false;
  }
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
// at boot, so a page with only code cells never pays for them. The page runs
// calculators only in a worker where no reader's code has run (cells.js).
async function calc({ id, name, values, fromLink }) {
  if (!pyodide) return;
  post({ type: "started", id });
  if (!calculators) {
    const errors = [];
    await pyodide.loadPackage("pygal", {
      messageCallback: () => {},
      errorCallback: (message) => errors.push(message),
    });
    if (errors.length) throw new Error(`could not load the chart library: ${errors.join("; ")}`);
    calculators = pyodide.pyimport("fieldguide.calculators");
  }
  const t0 = performance.now();
  const progress = (fraction) => post({ type: "progress", id, fraction });
  const result = parseJSON(calculators.render_json(name, JSON.stringify(values), progress, Boolean(fromLink)));
  // field and message: the field an error is about and the words shown next to it.
  post(resultMessage(id, performance.now() - t0, result, ["html", "held", "field", "message"]));
}

async function handle(msg) {
  if (msg.type === "boot") return boot(msg);
  if (msg.type === "run") return run(msg);
  if (msg.type === "calc") return calc(msg);
  throw new Error(`unknown message type ${JSON.stringify(msg.type)}`);
}
