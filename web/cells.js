// Live cells: turns each build-time cell ([data-live-cell]) into an editor with
// Run, Stop and Reset, and runs the code in one Python worker per tab.
//
// * Nothing Pyodide-related loads with the page: the worker boots when a live
//   cell scrolls into view or on the first interaction.
// * The worker lives as long as the tab: Material's instant navigation swaps
//   pages without reloading this script, and document$ tells us to set up the
//   new page's cells.
// * A cell's time limit starts when Python starts running it (the worker says
//   "started"), never at the click, so a slow boot cannot trip it. A cell past
//   its limit is stopped by terminating the worker; a fresh one boots.

const script = document.getElementById("live-runtime");
const absolute = (url) => new URL(url, document.baseURI).href;
const CONFIG = {
  editor: absolute(script.dataset.editor),
  worker: absolute(script.dataset.worker),
  pyodideIndex: absolute(script.dataset.pyodideIndex),
  lock: absolute(script.dataset.lock),
};

const BOOT_LIMIT_S = 90;

const STATUS_TEXT = {
  idle: "Python: not started",
  loading: "Python: loading…",
  ready: "Python: ready",
  error: "Python: unavailable",
};

class Runtime {
  constructor() {
    this.worker = null;
    this.state = "idle";
    this.error = null;
    this.boots = 0;
    this.bootMs = null;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
  }

  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setState(state, error = null) {
    this.state = state;
    this.error = error;
    for (const listener of this.listeners) listener(state, error);
  }

  /** Boot the worker if it is not running (idempotent). */
  ensure() {
    if (this.worker) return;
    this.boots += 1;
    this.setState("loading");
    // From a blob: that imports the worker script, so the worker inherits this
    // page's Content-Security-Policy (a worker loaded from its own URL takes
    // the policy of its response headers, which a static host cannot set).
    const stub = new Blob([`import ${JSON.stringify(CONFIG.worker)};`], { type: "text/javascript" });
    const worker = new Worker(URL.createObjectURL(stub), { type: "module", name: "python" });
    worker.onmessage = (event) => this.onMessage(event.data);
    worker.onerror = (event) =>
      this.fail(`the Python worker could not start (${event.message || "script failed to load"})`);
    worker.postMessage({ type: "boot", indexURL: CONFIG.pyodideIndex, lockURL: CONFIG.lock });
    this.worker = worker;
    // A download that stalls must not leave the page saying "loading" forever.
    clearTimeout(this.bootTimer);
    this.bootTimer = setTimeout(() => {
      if (this.worker === worker && this.state === "loading") {
        this.fail(`Python did not start within ${BOOT_LIMIT_S} s`);
      }
    }, BOOT_LIMIT_S * 1000);
  }

  /** Run a request ({type: "run", code} or {type: "call", ...}); resolves to the worker's result. */
  request(message, { timeoutS = 10, onStart, onProgress } = {}) {
    if (this.state === "error") this.reset();
    this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, timeoutS, onStart, onProgress, timer: null });
      this.worker.postMessage({ ...message, id });
    });
  }

  onMessage(msg) {
    if (msg.type === "ready") {
      clearTimeout(this.bootTimer);
      this.bootMs = msg.bootMs;
      this.setState("ready");
      return;
    }
    if (msg.type === "boot-error") {
      this.fail(msg.message);
      return;
    }
    const job = this.pending.get(msg.id);
    if (!job) return;
    if (msg.type === "started") {
      // Long computations (the simulator) have no limit: they end with Stop.
      if (Number.isFinite(job.timeoutS)) {
        job.timer = setTimeout(
          () => this.restart(`Stopped: the cell ran longer than its ${job.timeoutS} s limit, so Python was restarted.`),
          job.timeoutS * 1000,
        );
      }
      if (job.onStart) job.onStart();
    } else if (msg.type === "progress") {
      if (job.onProgress) job.onProgress(msg.fraction);
    } else if (msg.type === "result") {
      clearTimeout(job.timer);
      this.pending.delete(msg.id);
      job.resolve(msg);
    }
  }

  /** Reject every pending job with `message`, drop the worker. */
  terminate(message) {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    for (const job of this.pending.values()) {
      clearTimeout(job.timer);
      job.reject(new Error(message));
    }
    this.pending.clear();
  }

  /** Stop whatever runs (user's Stop or a time limit) and boot a fresh worker. */
  restart(message) {
    this.terminate(message);
    this.ensure();
  }

  fail(message) {
    this.terminate(`Python could not start in this browser: ${message}`);
    this.setState("error", message);
  }

  reset() {
    this.terminate("Python was restarted.");
    this.setState("idle");
  }
}

const runtime = (window.liveRuntime = window.liveRuntime || new Runtime());

let editorModule = null;
function loadEditor() {
  editorModule = editorModule || import(CONFIG.editor);
  return editorModule;
}

function button(action, label, title) {
  const el = document.createElement("button");
  el.type = "button";
  el.className = "md-button cell-button";
  el.dataset.action = action;
  el.textContent = label;
  el.title = title;
  return el;
}

/**
 * Run, Stop and Reset with a runtime status, inserted in `host` before `before`.
 * `titles` holds the three buttons' tooltips; returns the buttons and the status.
 */
function toolbar(host, before, label, runLabel, titles) {
  const bar = document.createElement("div");
  bar.className = "cell-toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", label);
  const run = button("run", runLabel, titles.run);
  const stop = button("stop", "Stop", titles.stop);
  const reset = button("reset", "Reset", titles.reset);
  stop.disabled = true;
  const status = document.createElement("span");
  status.className = "cell-status";
  status.dataset.status = "";
  status.setAttribute("aria-live", "polite");
  bar.append(run, stop, reset, status);
  host.insertBefore(bar, before);
  return { run, stop, reset, status };
}

function setupCell(cell) {
  if (cell.dataset.liveReady) return;
  cell.dataset.liveReady = "1";
  const codeBlock = cell.querySelector(".highlight");
  const output = cell.querySelector("[data-output]");
  const original = cell.querySelector("code").textContent.replace(/\n$/, "");
  const staticOutput = { text: output.textContent, state: output.dataset.state };
  let editor = null;
  let running = false;

  const { run, stop, reset, status } = toolbar(cell, output, "Live cell", "Run", {
    run: "Run this cell in your browser (Ctrl/Cmd+Enter)",
    stop: "Stop the running cell",
    reset: "Restore the original code and output",
  });

  const showStatus = (state, error) => {
    status.dataset.state = state;
    status.textContent =
      state === "error"
        ? `Python could not start: ${error}. The outputs shown were computed when the site was built.`
        : STATUS_TEXT[state];
  };
  showStatus(runtime.state, runtime.error);
  const unsubscribe = runtime.onChange(showStatus);

  const code = () => (editor ? editor.getCode() : original);

  async function runCell() {
    if (running) return;
    running = true;
    run.disabled = true;
    stop.disabled = false;
    const before = { text: output.textContent, state: output.dataset.state };
    output.dataset.state = "pending";
    output.setAttribute("aria-busy", "true");
    try {
      const result = await runtime.request(
        { type: "run", code: code() },
        { timeoutS: Number(cell.dataset.timeoutS) || 10, onStart: () => (output.dataset.state = "running") },
      );
      output.textContent = result.text;
      output.dataset.state = result.error ? "error" : "done";
    } catch (err) {
      if (runtime.state === "error") {
        // Python could not start: keep the build-time output; the status says why.
        output.textContent = before.text;
        output.dataset.state = before.state;
      } else {
        output.textContent = err.message; // stopped, or past the time limit
        output.dataset.state = "error";
      }
    } finally {
      running = false;
      run.disabled = false;
      stop.disabled = true;
      output.removeAttribute("aria-busy");
    }
  }

  run.addEventListener("click", runCell);
  stop.addEventListener("click", () => runtime.restart("Stopped: you stopped the cell, so Python was restarted."));
  reset.addEventListener("click", () => {
    if (editor) editor.setCode(original);
    output.textContent = staticOutput.text;
    output.dataset.state = staticOutput.state;
  });
  // Any interaction with the cell starts Python, before the first Run.
  cell.addEventListener("pointerdown", () => runtime.ensure(), { once: true });
  cell.addEventListener("focusin", () => runtime.ensure(), { once: true });

  loadEditor().then(({ createEditor }) => {
    if (!cell.isConnected) return;
    const host = document.createElement("div");
    host.className = "cell-editor";
    codeBlock.replaceWith(host);
    editor = createEditor(host, original, runCell, "Python cell: edit, then press Ctrl+Enter to run");
    cell.dataset.editor = "ready";
  });

  return unsubscribe;
}

// ------------------------------------------------------------------ calculators
//
// A calculator's values live in the URL (?kv_fit.context=65536&...): a link
// reproduces the calculation. They are values only, checked again by Python
// (fieldguide.forms.parse_values) before use; nothing from the URL is run.

function setupCalculator(box) {
  if (box.dataset.liveReady) return;
  box.dataset.liveReady = "1";
  const name = box.dataset.calculator;
  const longRunning = box.dataset.longRunning === "1";
  const form = box.querySelector("[data-calc-form]");
  const result = box.querySelector("[data-calc-result]");
  const status = box.querySelector("[data-calc-status]");
  const staticHTML = result.innerHTML;
  const controls = [...form.elements].filter((el) => el.name);
  const defaults = new Map(controls.map((el) => [el.name, el.value]));
  const prefix = `${name}.`;
  let latest = 0;
  let timer = null;

  const { run, stop, reset, status: state } = toolbar(
    box, status, "Calculator", longRunning ? "Run" : "Recompute",
    { run: "Compute with these values", stop: "Stop the computation", reset: "Restore the default values" },
  );
  const showState = (s, error) => {
    state.dataset.state = s;
    state.textContent = s === "error" ? "Python: unavailable" : STATUS_TEXT[s];
    if (s === "error") {
      status.dataset.kind = "error";
      status.textContent = `Python could not start: ${error}. The result shown was computed when the site was built.`;
    }
  };
  showState(runtime.state, runtime.error);
  const unsubscribe = runtime.onChange(showState);

  const sliders = [...form.querySelectorAll("input[type=range][data-slider-for]")];
  for (const slider of sliders) {
    const number = form.elements[slider.dataset.sliderFor];
    slider.addEventListener("input", () => { number.value = slider.value; changed(); });
    number.addEventListener("input", () => { slider.value = number.value; });
  }
  function syncVisibility() {
    for (const field of form.querySelectorAll("[data-show-when]")) {
      const [other, value] = field.dataset.showWhen.split("=");
      field.hidden = !form.elements[other] || form.elements[other].value !== value;
    }
  }

  const values = () => Object.fromEntries(
    controls.filter((el) => !el.closest("[hidden]")).map((el) => [el.name, el.value]),
  );

  function writeURL() {
    const params = new URLSearchParams(location.search);
    for (const key of [...params.keys()]) if (key.startsWith(prefix)) params.delete(key);
    for (const [key, value] of Object.entries(values())) {
      if (value !== defaults.get(key)) params.set(prefix + key, value);
    }
    const query = params.toString();
    history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  }

  /** Values from the URL: only this calculator's known fields, as plain strings. */
  function readURL() {
    const params = new URLSearchParams(location.search);
    let found = false;
    for (const [key, value] of params) {
      if (!key.startsWith(prefix)) continue;
      const el = form.elements[key.slice(prefix.length)];
      if (!el || !el.name || typeof value !== "string" || value.length > 64) continue;
      el.value = value;
      const slider = form.querySelector(`input[type=range][data-slider-for="${el.name}"]`);
      if (slider) slider.value = value;
      found = true;
    }
    return found;
  }

  async function compute() {
    const id = ++latest;
    result.dataset.state = "recomputing";
    result.setAttribute("aria-busy", "true");
    run.disabled = !longRunning;
    stop.disabled = false;
    status.dataset.kind = "";
    status.textContent = runtime.state === "ready" ? "Computing…" : "Starting Python…";
    try {
      const reply = await runtime.request(
        { type: "calc", name, values: values() },
        {
          timeoutS: longRunning ? Infinity : 30,
          onStart: () => { if (id === latest) status.textContent = "Computing…"; },
          onProgress: (f) => { if (id === latest) status.textContent = `Computing… ${Math.round(f * 100)} %`; },
        },
      );
      if (id !== latest) return;
      if (reply.error) {
        status.dataset.kind = "error";
        status.textContent = reply.error;
        result.dataset.state = "stale";
      } else {
        result.innerHTML = reply.html; // made by our own table and chart code
        result.dataset.state = "done";
        status.textContent = "";
      }
    } catch (err) {
      if (id !== latest) return;
      status.dataset.kind = "error";
      status.textContent = err.message;
      result.dataset.state = "stale";
    } finally {
      if (id === latest) {
        result.removeAttribute("aria-busy");
        run.disabled = false;
        stop.disabled = true;
      }
    }
  }

  function changed() {
    syncVisibility();
    writeURL();
    clearTimeout(timer);
    timer = setTimeout(compute, 300);
  }

  form.addEventListener("input", (event) => { if (event.target.type !== "range") changed(); });
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => { event.preventDefault(); compute(); });
  run.addEventListener("click", compute);
  stop.addEventListener("click", () => runtime.restart("Stopped: you stopped the computation, so Python was restarted."));
  reset.addEventListener("click", () => {
    for (const el of controls) el.value = defaults.get(el.name);
    for (const slider of sliders) slider.value = form.elements[slider.dataset.sliderFor].value;
    syncVisibility();
    latest += 1;
    result.innerHTML = staticHTML;
    result.dataset.state = "static";
    status.textContent = "";
    writeURL();
  });
  box.addEventListener("pointerdown", () => runtime.ensure(), { once: true });
  box.addEventListener("focusin", () => runtime.ensure(), { once: true });

  // A link with values counts as an interaction: boot now and recompute.
  if (readURL()) {
    syncVisibility();
    compute();
  } else {
    syncVisibility();
  }
  return unsubscribe;
}

let observer = null;
let cleanups = [];

function setupPage() {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  if (observer) observer.disconnect();
  const cells = [...document.querySelectorAll("[data-live-cell], [data-calculator]")];
  if (!cells.length) return;
  cleanups = cells
    .map((el) => (el.hasAttribute("data-calculator") ? setupCalculator(el) : setupCell(el)))
    .filter(Boolean);
  // Boot lazily: the first live cell that scrolls into view starts Python.
  observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) {
      runtime.ensure();
      observer.disconnect();
    }
  });
  for (const cell of cells) observer.observe(cell);
}

if (typeof document$ !== "undefined") {
  document$.subscribe(() => setupPage());
} else {
  setupPage();
}
