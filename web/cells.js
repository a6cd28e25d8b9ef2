// Live cells: turns each build-time cell ([data-live-cell]) into an editor with
// Run, Stop and Reset, and runs the code in one Python worker per tab.
//
// * Python loads only on intent: the pointer entering a live cell or a
//   calculator, focus on one, Run, or a link whose URL carries calculator
//   values. After 10 s on a page with a live element in view, and unless the
//   browser asks to save data, it loads while the reader reads.
// * The worker lives as long as the tab: Material's instant navigation swaps
//   pages without reloading this script, and document$ tells us to set up the
//   new page's cells. Leaving a page cancels its jobs.
// * A cell's time limit (the page's data-timeout-s) starts when Python starts
//   running it, never at the click, so a slow boot cannot trip it. A cell past
//   its limit is stopped by terminating the worker; a fresh one boots and the
//   cells queued behind it run there.
// * What a cell prints arrives in pieces and is drawn a piece per frame, so
//   the page stays responsive whatever it prints (Python caps it).
// * The worker answers through a MessagePort that Python cannot reach.
//   The page's own cells and calculators run only in a worker in which no
//   edited code has run: before one of them runs in such a worker, Python
//   restarts. What edited code left behind (a hook, a timer, a patched
//   module) cannot reach them.
// * An error that escapes the worker after it started (a reader's timer that
//   throws) fails the job that is running, never the runtime: the worker is
//   replaced and queued jobs run in the fresh one. So does a fatal error that
//   leaves Python unable to run (a stack overflow).
// * Output is counted here, per run, against fieldguide.cells' cap, which
//   Python reports at boot before any reader's code runs: edited code that
//   resets Python's own counters still shows at most that much.

const script = document.getElementById("live-runtime");
const absolute = (url) => new URL(url, document.baseURI).href;
const CONFIG = {
  editor: absolute(script.dataset.editor),
  worker: absolute(script.dataset.worker),
  pyodideIndex: absolute(script.dataset.pyodideIndex),
  lock: absolute(script.dataset.lock),
};

const BOOT_LIMIT_S = 90; // a download that stalls without failing
const START_LIMIT_S = 15; // a ready worker that does not start a job is stuck
const CALC_LIMIT_S = 30;
// A superseded computation that is still running this long after a newer
// request is stopped (the worker is replaced); a quicker one just finishes.
const SUPERSEDE_AFTER_S = 1;
const IDLE_PREFETCH_S = 10;
const MAX_URL_VALUE_CHARS = 64;
const MAX_URL_NAME_CHARS = 64; // a field's name in a link, after the calculator's prefix
const MAX_URL_REFUSALS = 3; // named in the error; the rest are counted

const STATUS_TEXT = {
  idle: "Python: starts when you use a cell",
  loading: "Python: loading…",
  ready: "Python: ready",
  error: "Python: unavailable",
};

// ------------------------------------------------------------------- runtime

class Runtime {
  constructor() {
    this.worker = null;
    this.port = null;
    this.state = "idle";
    this.error = null;
    this.boots = 0;
    this.runs = 0; // jobs Python started (what the tests count)
    this.bootMs = null;
    this.nextId = 1;
    this.queue = []; // jobs not yet sent: the worker gets one at a time
    this.current = null; // the job the worker has
    this.tainted = false; // code other than the pages' own has run in this worker
    this.limits = null; // the output cap, from the worker at boot
    this.everReady = false; // Python has started on this page before
    this.retrying = false; // a failed restart is being tried once more
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
    const channel = new MessageChannel();
    // Python can post on the worker's own channel: only the port is listened to.
    channel.port1.onmessage = (event) => { if (this.worker === worker) this.onMessage(event.data); };
    worker.onerror = (event) => {
      if (this.worker !== worker) return;
      if (this.state === "loading") {
        this.fail(`the Python worker could not start (${event.message || "script failed to load"})`);
        return;
      }
      // After boot the worker reports such errors on its port (stray-error);
      // one that reaches us here got past it: handled the same way.
      event.preventDefault();
      this.stray(null, String(event.message || ""));
    };
    worker.postMessage(
      { type: "boot", indexURL: CONFIG.pyodideIndex, lockURL: CONFIG.lock, port: channel.port2 },
      [channel.port2],
    );
    this.worker = worker;
    this.port = channel.port1;
    clearTimeout(this.bootTimer);
    this.bootTimer = setTimeout(() => {
      if (this.worker === worker && this.state === "loading") {
        this.fail(`Python did not start within ${BOOT_LIMIT_S} s`);
      }
    }, BOOT_LIMIT_S * 1000);
  }

  /**
   * Queue a job ({type: "run", code} or {type: "calc", name, values}); resolves
   * to the worker's result, rejects when it is stopped. `owner` (a cell) and
   * `page` let Stop and navigation find it; `taints` marks reader-edited code;
   * `clean` asks for a worker where no such code has run.
   */
  request(message, { timeoutS, owner, page, taints = false, clean = false, onStart, onOutput, onProgress }) {
    if (this.state === "error") this.reset();
    return new Promise((resolve, reject) => {
      this.queue.push({
        message, id: this.nextId++, timeoutS, owner, page, taints, clean,
        onStart, onOutput, onProgress, resolve, reject, timer: null, cap: null,
      });
      this.ensure();
      this.pump();
    });
  }

  pump() {
    if (this.current || this.state !== "ready" || !this.queue.length) return;
    if (this.queue[0].clean && this.tainted) {
      this.replaceWorker();
      return;
    }
    const job = (this.current = this.queue.shift());
    this.tainted = this.tainted || job.taints;
    job.cap = new OutputCap(this.limits);
    this.worker.postMessage({ ...job.message, id: job.id });
    job.timer = setTimeout(
      () => this.restart(`Python did not start the job within ${START_LIMIT_S} s, so it was restarted.`),
      START_LIMIT_S * 1000,
    );
  }

  onMessage(msg) {
    if (msg.type === "ready") {
      clearTimeout(this.bootTimer);
      this.everReady = true;
      this.retrying = false;
      this.bootMs = msg.bootMs;
      this.limits = msg.limits;
      this.setState("ready");
      this.pump();
      return;
    }
    if (msg.type === "boot-error") {
      this.fail(msg.message);
      return;
    }
    if (msg.type === "stray-error") {
      this.stray(msg.id, String(msg.message));
      return;
    }
    const job = this.current;
    if (!job || msg.id !== job.id) return;
    if (msg.type === "started") {
      this.runs += 1;
      job.started = true;
      clearTimeout(job.timer);
      // Long computations (the simulator) have no limit: they end with Stop.
      if (Number.isFinite(job.timeoutS)) {
        const what = job.message.type === "calc" ? "computation" : "cell";
        job.timer = setTimeout(
          () => this.restart(`Stopped: the ${what} ran longer than its ${job.timeoutS} s limit, so Python was restarted.`),
          job.timeoutS * 1000,
        );
      }
      if (job.onStart) job.onStart();
    } else if (msg.type === "output") {
      const text = job.cap.take(msg.text);
      if (text && job.onOutput) job.onOutput(text);
    } else if (msg.type === "progress") {
      if (job.onProgress && Number.isFinite(msg.fraction)) job.onProgress(msg.fraction);
    } else if (msg.type === "result") {
      clearTimeout(job.timer);
      clearTimeout(job.supersedeTimer);
      this.current = null;
      if (msg.dead) {
        // Python cannot run anything more: the job fails, a fresh worker
        // boots for what is queued and next.
        job.reject(new Error(`${msg.error}. Python was restarted.`));
        this.replaceWorker();
        return;
      }
      job.resolve(msg);
      this.pump();
    }
  }

  /** Drop the worker; the current job fails with `message`, queued ones wait for the next. */
  replaceWorker(message = "Python was restarted.") {
    if (this.worker) this.worker.terminate();
    if (this.port) this.port.close();
    this.worker = null;
    this.port = null;
    this.tainted = false;
    const job = this.current;
    this.current = null;
    if (job) {
      clearTimeout(job.timer);
      clearTimeout(job.supersedeTimer);
      job.reject(new Error(message));
    }
    if (this.queue.length) this.ensure();
    else this.setState("idle");
  }

  /**
   * Stop what runs (Stop, a time limit, an escaped error) and boot a fresh
   * worker for what is queued and next (`boot` false: only if something is queued).
   */
  restart(message, boot = true) {
    this.replaceWorker(message);
    if (boot) this.ensure();
  }

  /**
   * An error escaped the worker after boot, from code a run left behind (a
   * timer that throws). The job it happened in (`id`) fails; a job the worker
   * had not started yet goes back to the queue. Python restarts either way:
   * whatever threw may throw again.
   */
  stray(id, message) {
    const lines = message.split("\n").map((line) => line.trim()).filter(Boolean);
    const why = (lines[lines.length - 1] || "an error outside any run").slice(0, 200);
    const job = this.current;
    if (job && id !== job.id && !job.started) {
      clearTimeout(job.timer);
      this.current = null;
      this.queue.unshift(job);
    }
    this.restart(`Stopped: an error escaped from Python (${why}), so Python was restarted.`, false);
  }

  /**
   * A newer request of `owner` replaces its older ones: queued ones are
   * dropped, and the running one is stopped (by replacing the worker) if it
   * is long-running or still runs SUPERSEDE_AFTER_S seconds from now.
   */
  supersede(owner, longRunning) {
    const message = "Superseded by a newer request.";
    for (const job of this.queue.filter((j) => j.owner === owner)) {
      this.queue.splice(this.queue.indexOf(job), 1);
      job.reject(new Error(message));
    }
    const job = this.current;
    if (!job || job.owner !== owner || job.supersedeTimer) return;
    if (longRunning) {
      this.restart(message);
      return;
    }
    job.supersedeTimer = setTimeout(() => {
      if (this.current === job) this.restart(message);
    }, SUPERSEDE_AFTER_S * 1000);
  }

  /**
   * Stop the jobs `match` selects: a queued one is dropped with `queued`, the
   * running one stops Python with `running`.
   */
  cancel(match, { running, queued }) {
    for (const job of this.queue.filter(match)) {
      this.queue.splice(this.queue.indexOf(job), 1);
      job.reject(new Error(queued));
    }
    if (this.current && match(this.current)) this.restart(running);
  }

  fail(message) {
    // A restart that fails where Python has started before (a loaded machine
    // compiling it again past the limit, a stalled fetch) is tried once more
    // before the page gives up: what is queued waits for it, none is lost.
    if (this.everReady && !this.retrying) {
      this.retrying = true;
      this.restart(`Python did not restart (${message}), so it was tried again.`);
      return;
    }
    const jobs = [...this.queue, ...(this.current ? [this.current] : [])];
    this.queue = [];
    this.replaceWorker(`Python could not start in this browser: ${message}`);
    for (const job of jobs) job.reject(new Error(`Python could not start in this browser: ${message}`));
    this.setState("error", message);
  }

  reset() {
    this.replaceWorker();
  }
}

const runtime = (window.liveRuntime = window.liveRuntime || new Runtime());

// The editor (CodeMirror) loads with Python, on intent: until then a cell
// shows its highlighted code, and Run runs it as it is.
let editorModule = null;
let editorLoaded;
const editorReady = new Promise((resolve) => { editorLoaded = resolve; });
function loadEditor() {
  if (!editorModule) {
    editorModule = import(CONFIG.editor);
    editorModule.then(editorLoaded, () => {}); // without it, cells keep their static code
  }
  return editorModule;
}

/** The reader showed interest in Python (or stayed long enough): start loading. */
function intent() {
  runtime.ensure();
  loadEditor();
}

// ---------------------------------------------------------------- cell output

/**
 * One run's output cap, counted in the page where no Python can reset it:
 * the first `limits.chars` characters, and nothing after the
 * `limits.lines`-th line break, as fieldguide.cells.CappedOutput keeps them;
 * past that, the note and nothing more. Python's own note (it truncates at
 * the same place) is replaced by this one, so honest output shows the same.
 */
class OutputCap {
  constructor(limits) {
    this.charsLeft = limits.chars;
    this.linesLeft = limits.lines;
    this.note = limits.note;
    this.endsWithNewline = true; // nothing shown yet
    this.done = false;
  }

  /** The part of `text` to show ("" once the cap is reached). */
  take(text) {
    if (this.done || typeof text !== "string" || !text) return "";
    let cut = this.linesLeft > 0 ? Math.min(text.length, this.charsLeft) : 0;
    let lines = 0;
    for (let i = text.indexOf("\n"); i !== -1 && i < cut; i = text.indexOf("\n", i + 1)) {
      lines += 1;
      if (lines === this.linesLeft) {
        cut = i + 1;
        break;
      }
    }
    const piece = text.slice(0, cut);
    this.charsLeft -= piece.length;
    this.linesLeft -= lines;
    if (piece) this.endsWithNewline = piece.endsWith("\n");
    if (cut === text.length) return piece;
    this.done = true;
    return `${piece}${this.endsWithNewline ? "" : "\n"}${this.note}\n`;
  }
}

// Runs of combining marks (and joiners, variation selectors) longer than this
// are cut to it before drawing: a million marks on one letter would otherwise
// cost the browser seconds of layout in a few huge glyph clusters.
const MAX_MARKS = 8;
const MARK_RUN = new RegExp(`([\\p{M}\\u200c\\u200d]{${MAX_MARKS}})[\\p{M}\\u200c\\u200d]+`, "gu");
const drawable = (text) => text.replace(MARK_RUN, "$1");

/**
 * Draws a cell's output as it arrives: pieces of at most PIECE characters,
 * one per animation frame, each in its own block so the browser lays out only
 * the new one. A short final output is written as one text node.
 */
class OutputView {
  static PIECE = 16_384; // most characters drawn per frame
  static MIN_PIECE = 512;
  static FRAME_MS = 8; // a piece whose layout takes longer halves the next one

  constructor(el) {
    this.el = el;
    this.parts = [];
    this.waiting = "";
    this.frame = null;
    this.onDrained = null;
    this.piece = 4_096;
    this.tail = ""; // the last characters appended, to cut a run of marks across pieces
  }

  begin() {
    cancelAnimationFrame(this.frame);
    this.frame = null;
    this.el.classList.remove("cell-output-long");
    this.parts = [];
    this.waiting = "";
    this.onDrained = null;
    this.cleared = false;
    this.ended = false;
    this.tail = "";
  }

  append(text) {
    this.parts.push(text);
    const shown = drawable(this.tail + text).slice(this.tail.length);
    this.tail = (this.tail + shown).slice(-MAX_MARKS);
    this.waiting += shown;
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = null;
    if (!this.cleared) {
      this.el.textContent = "";
      this.el.classList.add("cell-output-long"); // scrolls in its own box
      this.cleared = true;
    }
    // Whole lines only (a line longer than a piece is cut), until the run ends.
    const size = this.piece;
    let cut = 0;
    if (this.waiting.length > size) {
      cut = this.waiting.lastIndexOf("\n", size - 1) + 1 || size;
    } else {
      cut = this.ended ? this.waiting.length : this.waiting.lastIndexOf("\n") + 1;
    }
    if (cut) {
      const t0 = performance.now();
      const block = document.createElement("span");
      block.className = "cell-output-piece";
      block.textContent = this.waiting.slice(0, cut).replace(/\n$/, "");
      this.el.append(block);
      this.waiting = this.waiting.slice(cut);
      // Lay the piece out now and time it: whatever the characters, the next
      // piece is sized so that a frame stays short.
      void block.offsetHeight;
      const ms = performance.now() - t0;
      if (ms > OutputView.FRAME_MS) this.piece = Math.max(OutputView.MIN_PIECE, this.piece >> 1);
      else if (ms < OutputView.FRAME_MS / 4) this.piece = Math.min(OutputView.PIECE, this.piece << 1);
    }
    if (this.waiting && (this.ended || this.waiting.length > this.piece)) this.schedule();
    else if (!this.waiting && this.onDrained) this.onDrained();
  }

  /** The run ended: show its error under the output, then call `done`. */
  finish(error, done) {
    const text = displayText(this.parts.join(""), error);
    if (text.length <= this.piece) {
      cancelAnimationFrame(this.frame);
      this.frame = null;
      this.el.classList.remove("cell-output-long");
      this.el.textContent = drawable(text);
      done();
      return;
    }
    this.ended = true;
    this.waiting = this.waiting.replace(/\n+$/, "");
    if (error) this.waiting += `\n${error}`;
    this.onDrained = () => { this.onDrained = null; done(); };
    this.schedule();
  }
}

/** What the page shows under a cell (fieldguide.cells.display_text). */
function displayText(stdout, error) {
  return [stdout.replace(/\n+$/, ""), error].filter(Boolean).join("\n");
}

// -------------------------------------------------------------------- toolbar

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

// ---------------------------------------------------------------------- cells

function setupCell(cell, page) {
  if (cell.dataset.liveReady) return null;
  cell.dataset.liveReady = "1";
  const codeBlock = cell.querySelector(".highlight");
  const output = cell.querySelector("[data-output]");
  const original = cell.querySelector("code").textContent.replace(/\n$/, "");
  const staticOutput = { text: output.textContent, state: output.dataset.state };
  const view = new OutputView(output);
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
    view.begin();
    const source = code();
    const finish = (error, state) => view.finish(error, () => {
      output.dataset.state = state;
      output.removeAttribute("aria-busy");
    });
    try {
      const timeoutS = Number(cell.dataset.timeoutS);
      if (!(timeoutS > 0)) throw new Error(`this cell has no valid time limit (data-timeout-s="${cell.dataset.timeoutS}")`);
      const pageCode = source === original;
      // The page's own code runs only where no edited code has run.
      const result = await runtime.request({ type: "run", code: source, pageCode }, {
        timeoutS, owner: cell, page, taints: !pageCode, clean: pageCode,
        onStart: () => (output.dataset.state = "running"),
        onOutput: (text) => view.append(text),
      });
      finish(result.error, result.error ? "error" : "done");
    } catch (err) {
      if (runtime.state === "error") {
        // Python could not start: keep the build-time output; the status says why.
        view.begin();
        output.textContent = before.text;
        output.dataset.state = before.state;
        output.removeAttribute("aria-busy");
      } else {
        finish(err.message, "error"); // stopped, past the time limit, or not run
      }
    } finally {
      running = false;
      run.disabled = false;
      stop.disabled = true;
    }
  }

  run.addEventListener("click", runCell);
  stop.addEventListener("click", () => runtime.cancel((job) => job.owner === cell, {
    running: "Stopped: you stopped the cell, so Python was restarted.",
    queued: "Stopped before it ran.",
  }));
  reset.addEventListener("click", () => {
    if (editor) editor.setCode(original);
    view.begin();
    output.textContent = staticOutput.text;
    output.dataset.state = staticOutput.state;
    // Edited code may have changed Python in ways no run undoes: start afresh.
    if (runtime.tainted) runtime.replaceWorker("Stopped: Reset restarted Python.");
  });

  editorReady.then(({ createEditor }) => {
    if (!cell.isConnected) return;
    const host = document.createElement("div");
    host.className = "cell-editor";
    codeBlock.replaceWith(host);
    editor = createEditor(host, original, runCell, "Python cell: edit, then press Ctrl+Enter to run");
    cell.dataset.editor = "ready";
  });

  return unsubscribe;
}

// ---------------------------------------------------------------- calculators
//
// A calculator's values live in the URL (?kv_fit.context=65536&...): a link
// reproduces the calculation. They are values only, checked again by Python
// (fieldguide.forms.parse_values) before use; nothing from the URL is run.
// A value longer than MAX_URL_VALUE_CHARS (pasted measurements, a calibration,
// a benchmark result) is left out of the link: it stays in the page only.

/**
 * This calculator's part of the URL. `read` puts the URL's values into the
 * controls; a value a control cannot hold (a number input drops "1e309", a
 * select an unknown option) and an unknown field are kept as they are, so that
 * Python names them in its error. Values longer than 64 characters are refused.
 */
function urlState(name, byName, defaults, shared) {
  const prefix = `${name}.`;
  return {
    /** The page's deployment in the link (deploy.NAME), for this calculator's shared fields. */
    deployment() {
      const found = new Map();
      for (const [key, value] of new URLSearchParams(location.search)) {
        if (!key.startsWith(DEPLOY_PREFIX)) continue;
        const field = key.slice(DEPLOY_PREFIX.length);
        if (shared.has(field) && value.length <= MAX_URL_VALUE_CHARS) found.set(field, value);
      }
      return found;
    },
    read() {
      const raw = new Map();
      const refused = [];
      let found = false;
      let ownValues = false;
      let more = 0;
      const refuse = (text) => {
        if (refused.length < MAX_URL_REFUSALS) refused.push(text);
        else more += 1;
      };
      for (const [key, value] of new URLSearchParams(location.search)) {
        // The page's deployment applies to every calculator with the field; a
        // calculator's own value (name.model) still wins, read after it.
        const deploy = key.startsWith(DEPLOY_PREFIX) && shared.has(key.slice(DEPLOY_PREFIX.length));
        if (!deploy && !key.startsWith(prefix)) continue;
        const field = key.slice((deploy ? DEPLOY_PREFIX : prefix).length);
        if (field.length > MAX_URL_NAME_CHARS) {
          refuse(`a field name in the link (${prefix}${field.slice(0, 16)}…) is ${field.length.toLocaleString("en-US")} characters long; at most ${MAX_URL_NAME_CHARS} are read`);
          continue;
        }
        if (value.length > MAX_URL_VALUE_CHARS) {
          refuse(`${key} in the link is ${value.length.toLocaleString("en-US")} characters long; at most ${MAX_URL_VALUE_CHARS} are read`);
          continue;
        }
        found = true;
        if (!deploy) ownValues = true;
        const el = byName.get(field);
        if (el) el.value = value;
        // What a control could not hold (a number input empties "١٠" and
        // "1_0") goes to Python as it is, which names the field in its error.
        if (!el || el.value !== value) raw.set(field, value);
      }
      if (more) refused.push(`and ${more.toLocaleString("en-US")} more`);
      return { found, raw, refused, deploymentOnly: found && !ownValues };
    },
    write(values, sharedChange = null) {
      const params = new URLSearchParams(location.search);
      for (const key of [...params.keys()]) if (key.startsWith(prefix)) params.delete(key);
      for (const [key, value] of Object.entries(values)) {
        if (shared.has(key)) continue; // the page's deployment: deploy.NAME
        if (value !== defaults.get(key) && value.length <= MAX_URL_VALUE_CHARS) params.set(prefix + key, value);
      }
      if (sharedChange && sharedChange.value.length <= MAX_URL_VALUE_CHARS) {
        params.set(DEPLOY_PREFIX + sharedChange.name, sharedChange.value);
      }
      const query = params.toString();
      history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
    },
  };
}

// The deployment (fieldguide.forms.SHARED_FIELDS: model, GPU, precisions,
// engine) is set once per page: a change in one calculator is made in every
// calculator of the page that has the field and can hold the value, and the
// link keeps it once, as deploy.NAME.
const DEPLOY_PREFIX = "deploy.";
let pageCalculators = [];

/** Tell the page's other calculators that `name` is now `value`. */
function shareDeployment(from, name, value) {
  for (const calc of pageCalculators) if (calc.box !== from) calc.adopt(name, value);
}

// A logarithmic slider (data-log; fieldguide.forms.slider_value) runs over
// positions 0 to its max: position p stands for min * (max / min) ** (p / max),
// so each stretch of the track covers the same ratio.

/** The value a slider's position stands for (its own value if it is linear). */
function sliderValue(slider) {
  if (!("log" in slider.dataset)) return slider.value;
  const lo = Number(slider.dataset.min);
  const hi = Number(slider.dataset.max);
  const value = lo * (hi / lo) ** (Number(slider.value) / Number(slider.max));
  if (slider.dataset.int === "1") return String(Math.min(hi, Math.max(lo, Math.round(value))));
  return String(Number(value.toPrecision(3)));
}

/** Where a value sits on a slider's track (the value itself on a linear one). */
function sliderPosition(slider, value) {
  if (!("log" in slider.dataset)) return value;
  const lo = Number(slider.dataset.min);
  const hi = Number(slider.dataset.max);
  const v = Math.min(hi, Math.max(lo, Number(value)));
  if (!Number.isFinite(v)) return slider.value;
  return String(Math.round(Number(slider.max) * Math.log(v / lo) / Math.log(hi / lo)));
}

/**
 * Sliders mirror their number inputs; a file picker fills its text box (the file
 * is read here, in the page, and sent nowhere); fields with data-show-when follow
 * their condition.
 */
function bindControls(form, changed) {
  const sliders = [...form.querySelectorAll("input[type=range][data-slider-for]")];
  for (const slider of sliders) {
    const number = form.elements[slider.dataset.sliderFor];
    slider.addEventListener("input", () => { number.value = sliderValue(slider); changed(); });
    number.addEventListener("input", () => { slider.value = sliderPosition(slider, number.value); });
  }
  for (const picker of form.querySelectorAll("input[type=file][data-upload-for]")) {
    picker.addEventListener("change", async () => {
      const file = picker.files && picker.files[0];
      if (!file) return;
      form.elements[picker.dataset.uploadFor].value = await file.text();
      picker.value = ""; // the same file can be chosen again after an edit
      changed();
    });
  }
  return {
    syncSliders() {
      for (const slider of sliders) slider.value = sliderPosition(slider, form.elements[slider.dataset.sliderFor].value);
    },
    syncVisibility() {
      for (const field of form.querySelectorAll("[data-show-when]")) {
        const [other, value] = field.dataset.showWhen.split("=");
        field.hidden = !form.elements[other] || form.elements[other].value !== value;
      }
    },
  };
}

/**
 * Runs the calculator and shows its result; only the latest request's answer
 * is shown. Returns {compute, forget, showError}.
 */
function calculatorRunner({ box, name, page, longRunning, result, status, buttons, values, form }) {
  let latest = 0;
  const fieldErrors = fieldErrorView(form);
  // A message about one field shows next to it too, and marks it (aria-invalid).
  const showError = (message, field = null) => {
    status.dataset.kind = "error";
    status.textContent = message;
    result.dataset.state = "stale";
    fieldErrors.show(field, message);
  };
  // A newer request replaces the older ones (three clicks on Run make one run).
  async function compute(fromLink = false) {
    const id = ++latest;
    runtime.supersede(box, longRunning);
    result.dataset.state = "recomputing";
    result.setAttribute("aria-busy", "true");
    buttons.run.disabled = !longRunning;
    buttons.stop.disabled = false;
    status.dataset.kind = "";
    fieldErrors.clear();
    status.textContent = runtime.state === "ready" ? "Computing…" : "Starting Python…";
    try {
      const reply = await runtime.request({ type: "calc", name, values: values(), fromLink }, {
        timeoutS: longRunning ? Infinity : CALC_LIMIT_S, owner: box, page, clean: true,
        onStart: () => { if (id === latest) status.textContent = "Computing…"; },
        onProgress: (f) => { if (id === latest) status.textContent = `Computing… ${Math.round(f * 100)} %`; },
      });
      if (id !== latest) return;
      if (reply.error) {
        showError(reply.message || reply.error, reply.field || null);
      } else if (reply.held) {
        // A link asked for more work than it may start by itself: its values
        // are in the controls, and Run computes them.
        status.dataset.kind = "held";
        status.textContent = reply.held;
        result.dataset.state = "stale";
      } else {
        // Made by our own table and chart code, in a worker where no edited
        // code has run, and received on the worker's private port.
        result.innerHTML = reply.html;
        result.dataset.state = "done";
        status.textContent = "";
      }
    } catch (err) {
      if (id === latest) showError(err.message);
    } finally {
      if (id === latest) {
        result.removeAttribute("aria-busy");
        buttons.run.disabled = false;
        buttons.stop.disabled = true;
      }
    }
  }
  return {
    compute: () => compute(false),
    computeFromLink: () => compute(true),
    showError,
    clearErrors: () => fieldErrors.clear(),
    forget: () => { latest += 1; },
  };
}

/**
 * The error slot under each field (fieldguide.forms.render_field writes it,
 * hidden): show(name, message) fills the named field's slot and marks its
 * control invalid; clear() empties them all.
 */
function fieldErrorView(form) {
  let marked = null;
  const clear = () => {
    if (!marked) return;
    const { control, slot, described } = marked;
    control.removeAttribute("aria-invalid");
    if (described) control.setAttribute("aria-describedby", described);
    else control.removeAttribute("aria-describedby");
    slot.textContent = "";
    slot.hidden = true;
    marked = null;
  };
  const show = (name, message) => {
    clear();
    const control = name && form.elements[name];
    const field = control && control.closest && control.closest(".calc-field");
    const slot = field && field.querySelector(".calc-field-error");
    if (!slot || field.hidden) return;
    marked = { control, slot, described: control.getAttribute("aria-describedby") };
    slot.textContent = message;
    slot.hidden = false;
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", slot.id);
  };
  return { show, clear };
}

/** The runtime's state in the toolbar; a failed start also on the status line. */
function showCalculatorRuntime(toolbarStatus, status) {
  const show = (state, error) => {
    toolbarStatus.dataset.state = state;
    toolbarStatus.textContent = STATUS_TEXT[state];
    if (state === "error") {
      status.dataset.kind = "error";
      status.textContent = `Python could not start: ${error}. The result shown was computed when the site was built.`;
    }
  };
  show(runtime.state, runtime.error);
  return runtime.onChange(show);
}

function setupCalculator(box, page) {
  if (box.dataset.liveReady) return null;
  box.dataset.liveReady = "1";
  const name = box.dataset.calculator;
  const longRunning = box.dataset.longRunning === "1";
  const form = box.querySelector("[data-calc-form]");
  const result = box.querySelector("[data-calc-result]");
  const status = box.querySelector("[data-calc-status]");
  const staticHTML = result.innerHTML;
  const controls = [...form.elements].filter((el) => el.name);
  const byName = new Map(controls.map((el) => [el.name, el]));
  const defaults = new Map(controls.map((el) => [el.name, el.value]));
  let fromURL = new Map(); // values a link gave that no control could hold

  const buttons = toolbar(
    box, status, "Calculator", longRunning ? "Run" : "Recompute",
    { run: "Compute with these values", stop: "Stop the computation", reset: "Restore the default values" },
  );
  const unsubscribe = showCalculatorRuntime(buttons.status, status);

  const values = () => ({
    ...Object.fromEntries(controls.filter((el) => !el.closest("[hidden]")).map((el) => [el.name, el.value])),
    ...Object.fromEntries(fromURL),
  });
  const shared = new Set(controls.filter((el) => el.closest("[data-shared]")).map((el) => el.name));
  const url = urlState(name, byName, defaults, shared);
  const runner = calculatorRunner({ box, name, page, longRunning, result, status, buttons, values, form });
  let timer = null;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(runner.compute, 300);
  };
  const changed = (control = null) => {
    fromURL = new Map(); // the reader took over from the link
    view.syncVisibility();
    const sharedChange = control && shared.has(control.name) ? { name: control.name, value: control.value } : null;
    url.write(values(), sharedChange);
    if (sharedChange) shareDeployment(box, sharedChange.name, sharedChange.value);
    schedule();
  };
  const view = bindControls(form, changed);
  // Another calculator of the page changed the deployment: take it if this
  // one has the field and can hold the value. A quick calculator recomputes;
  // a long one (the simulator) waits for Run.
  const adopt = (field, value) => {
    const el = shared.has(field) ? byName.get(field) : null;
    if (!el || el.value === value) return;
    const before = el.value;
    el.value = value;
    if (el.value !== value) { el.value = before; return; } // not one of its options
    fromURL.delete(field);
    view.syncVisibility();
    if (!longRunning) { schedule(); return; }
    runner.forget();
    result.dataset.state = "stale";
    status.dataset.kind = "held";
    status.textContent = "The deployment changed in another calculator: press Run to simulate it.";
  };
  pageCalculators.push({ box, adopt });

  // Sliders and file pickers report through bindControls.
  const elsewhere = (event) => event.target.type === "range" || event.target.type === "file";
  form.addEventListener("input", (event) => { if (!elsewhere(event)) changed(event.target); });
  form.addEventListener("change", (event) => { if (event.target.type !== "file") changed(event.target); });
  form.addEventListener("submit", (event) => { event.preventDefault(); runner.compute(); });
  buttons.run.addEventListener("click", runner.compute);
  buttons.stop.addEventListener("click", () => runtime.cancel((job) => job.owner === box, {
    running: "Stopped: you stopped the computation, so Python was restarted.",
    queued: "Stopped before it ran.",
  }));
  buttons.reset.addEventListener("click", () => {
    fromURL = new Map();
    // Reset restores this calculator's own values; the page's deployment stays.
    const deployment = url.deployment();
    for (const el of controls) el.value = deployment.has(el.name) ? deployment.get(el.name) : defaults.get(el.name);
    runner.clearErrors();
    view.syncSliders();
    view.syncVisibility();
    runner.forget();
    result.innerHTML = staticHTML;
    result.dataset.state = "static";
    status.dataset.kind = "";
    status.textContent = "";
    url.write(values());
    // The build-time result is for the defaults: with the page's deployment
    // instead, a quick calculator recomputes and a long one is marked stale.
    if (controls.some((el) => el.value !== defaults.get(el.name))) {
      result.dataset.state = "stale";
      if (!longRunning) schedule();
    }
  });

  // A link with values counts as intent: boot now and recompute.
  const link = url.read();
  fromURL = link.raw;
  view.syncSliders();
  view.syncVisibility();
  if (link.refused.length) runner.showError(`${link.refused.join("; ")}.`);
  else if (link.found && longRunning && link.deploymentOnly) {
    // Only the page's deployment came from the link: a simulation waits for Run.
    status.dataset.kind = "held";
    status.textContent = "The deployment came from the link: press Run to simulate it.";
    result.dataset.state = "stale";
  } else if (link.found) runner.computeFromLink();
  return () => {
    unsubscribe();
    pageCalculators = pageCalculators.filter((calc) => calc.box !== box);
  };
}

// ---------------------------------------------------------------------- pages

const saveData = () =>
  Boolean(navigator.connection && navigator.connection.saveData)
  || matchMedia("(prefers-reduced-data: reduce)").matches;

/**
 * Intent listeners on every live element, and the idle prefetch: after
 * IDLE_PREFETCH_S seconds with a live element in view (the timer restarts when
 * none is), unless the browser asks to save data.
 */
function watchIntent(elements) {
  for (const el of elements) {
    el.addEventListener("pointerenter", intent, { once: true });
    el.addEventListener("focusin", intent, { once: true });
  }
  let timer = null;
  const inView = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) inView.add(entry.target);
      else inView.delete(entry.target);
    }
    if (inView.size && !timer && !saveData()) {
      timer = setTimeout(() => { observer.disconnect(); intent(); }, IDLE_PREFETCH_S * 1000);
    } else if (!inView.size && timer) {
      clearTimeout(timer);
      timer = null;
    }
  });
  for (const el of elements) observer.observe(el);
  return () => { observer.disconnect(); clearTimeout(timer); };
}

let pageNumber = 0;
let cleanups = [];

function setupPage() {
  const left = pageNumber;
  pageNumber += 1;
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  // Leaving a page stops what its cells asked for, so the next page's cells do not wait.
  runtime.cancel((job) => job.page === left, {
    running: "Stopped: you left the page, so Python was restarted.",
    queued: "Not run: you left the page.",
  });
  const elements = [...document.querySelectorAll("[data-live-cell], [data-calculator]")];
  if (!elements.length) return;
  const page = pageNumber;
  cleanups = elements
    .map((el) => (el.hasAttribute("data-calculator") ? setupCalculator(el, page) : setupCell(el, page)))
    .filter(Boolean);
  cleanups.push(watchIntent(elements));
}

if (typeof document$ !== "undefined") {
  document$.subscribe(() => setupPage());
} else {
  setupPage();
}
