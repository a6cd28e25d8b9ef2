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
    const worker = new Worker(CONFIG.worker, { type: "module", name: "python" });
    worker.onmessage = (event) => this.onMessage(event.data);
    worker.onerror = (event) =>
      this.fail(`the Python worker could not start (${event.message || "script failed to load"})`);
    worker.postMessage({ type: "boot", indexURL: CONFIG.pyodideIndex, lockURL: CONFIG.lock });
    this.worker = worker;
  }

  /** Run a request ({type: "run", code} or {type: "call", ...}); resolves to the worker's result. */
  request(message, { timeoutS = 10, onStart } = {}) {
    if (this.state === "error") this.reset();
    this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, timeoutS, onStart, timer: null });
      this.worker.postMessage({ ...message, id });
    });
  }

  onMessage(msg) {
    if (msg.type === "ready") {
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
      job.timer = setTimeout(
        () => this.restart(`Stopped: the cell ran longer than its ${job.timeoutS} s limit, so Python was restarted.`),
        job.timeoutS * 1000,
      );
      if (job.onStart) job.onStart();
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

function setupCell(cell) {
  if (cell.dataset.liveReady) return;
  cell.dataset.liveReady = "1";
  const codeBlock = cell.querySelector(".highlight");
  const output = cell.querySelector("[data-output]");
  const original = cell.querySelector("code").textContent.replace(/\n$/, "");
  const staticOutput = output.textContent;
  let editor = null;
  let running = false;

  const toolbar = document.createElement("div");
  toolbar.className = "cell-toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Live cell");
  const run = button("run", "Run", "Run this cell in your browser (Ctrl/Cmd+Enter)");
  const stop = button("stop", "Stop", "Stop the running cell");
  const reset = button("reset", "Reset", "Restore the original code and output");
  stop.disabled = true;
  const status = document.createElement("span");
  status.className = "cell-status";
  status.dataset.status = "";
  status.setAttribute("aria-live", "polite");
  toolbar.append(run, stop, reset, status);
  cell.insertBefore(toolbar, output);

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
      output.textContent = err.message;
      output.dataset.state = "error";
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
    output.textContent = staticOutput;
    output.dataset.state = "static";
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

let observer = null;
let cleanups = [];

function setupPage() {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  if (observer) observer.disconnect();
  const cells = [...document.querySelectorAll("[data-live-cell]")];
  if (!cells.length) return;
  cleanups = cells.map(setupCell).filter(Boolean);
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
