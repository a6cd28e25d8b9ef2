// Practice that grades itself (docs/practice.md; the maths is servecalc.practice).
//
// * The build printed every kind's question for the default seed; Python loads
//   only on intent: focus on an answer box, Check, Show the answer, Another
//   one, or a link ?q=KIND&seed=N (which loads that variant of that question).
// * Questions, verdicts and worked answers come from the live-cell runtime's
//   worker (cells.js's window.liveRuntime), through the calculators' entry
//   point, in a worker where no edited code has run: the same Python that
//   printed the page and that `servecalc practice` runs.
// * The verdict goes into the box's role="status" element; the worked answer
//   carries the exact value in data-answer.
// * Progress (the kinds answered right) stays in this browser's localStorage.

const STORAGE_KEY = "llm-serving-field-guide:practice";
const LIMIT_S = 30;
const MAX_SEED = 999_999;

const runtime = () => window.liveRuntime || null;

function loadProgress() {
  try {
    const data = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
    return data && typeof data === "object" && !Array.isArray(data) ? data : {};
  } catch {
    return {}; // storage off or unreadable: progress is simply not kept
  }
}

function saveProgress(progress) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(progress));
  } catch {
    // private mode or storage full: nothing else to do
  }
}

function showProgress(page) {
  const progress = loadProgress();
  const boxes = [...page.querySelectorAll("[data-practice]")];
  let right = 0;
  for (const box of boxes) {
    const done = Boolean(progress[box.dataset.practice]);
    box.querySelector("[data-practice-done]").hidden = !done;
    if (done) right += 1;
  }
  const summary = document.querySelector("[data-practice-progress]");
  if (summary) {
    summary.textContent = right
      ? `You have answered ${right} of ${boxes.length} kinds right in this browser.`
      : `Answer a question right and it is marked here (kept in this browser only).`;
  }
}

/** The page's URL for this box's question, ?q=KIND&seed=N#KIND. */
function questionURL(kind, seed) {
  return `${location.pathname}?q=${encodeURIComponent(kind)}&seed=${seed}#${encodeURIComponent(kind)}`;
}

function freshSeed(current) {
  const values = new Uint32Array(1);
  let seed = current;
  while (seed === current) {
    crypto.getRandomValues(values);
    seed = values[0] % (MAX_SEED + 1);
  }
  return seed;
}

function setupBox(box, page, pageId) {
  const kind = box.dataset.practice;
  const form = box.querySelector("[data-practice-form]");
  const input = box.querySelector("[data-practice-input]");
  const status = box.querySelector("[data-practice-status]");
  const worked = box.querySelector("[data-practice-worked]");
  const text = box.querySelector("[data-practice-text]");
  const linkEl = box.querySelector("[data-practice-link]");
  const buttons = [...form.querySelectorAll("button")];
  let latest = 0;

  const say = (message, state) => {
    status.textContent = message;
    status.dataset.state = state;
  };

  async function ask(mode) {
    const live = runtime();
    if (!live) {
      say("Python is not available on this page: the question above was printed when the site was built.", "error");
      return;
    }
    const id = ++latest;
    box.setAttribute("aria-busy", "true");
    for (const b of buttons) b.disabled = true;
    say(live.state === "ready" ? "Working…" : "Starting Python (once per visit)…", "busy");
    try {
      const values = { kind, seed: box.dataset.seed, answer: mode === "grade" ? input.value : "", mode };
      const reply = await live.request({ type: "calc", name: "practice", values }, {
        timeoutS: LIMIT_S, owner: box, page: pageId, clean: true,
      });
      if (id !== latest) return;
      if (reply.error) {
        say(reply.error.replace(/^ValueError: /, ""), "error");
        return;
      }
      // Made by fieldguide.practice_page in a worker where no edited code has
      // run, received on the worker's private port.
      const holder = document.createElement("template");
      holder.innerHTML = reply.html;
      const answer = holder.content.querySelector("[data-practice-reply]");
      text.textContent = answer.querySelector("[data-practice-text]").textContent;
      const block = answer.querySelector("[data-answer]");
      worked.replaceChildren(...(block ? [block] : []));
      if (mode === "question") {
        say("", "");
        return;
      }
      const correct = answer.dataset.correct;
      say(answer.dataset.verdict, correct === "true" ? "right" : correct === "false" ? "wrong" : "revealed");
      if (correct === "true") {
        const progress = loadProgress();
        progress[kind] = true;
        saveProgress(progress);
        showProgress(page);
      }
    } catch (err) {
      if (id === latest) say(err.message, "error");
    } finally {
      if (id === latest) {
        box.removeAttribute("aria-busy");
        for (const b of buttons) b.disabled = false;
      }
    }
  }

  function showSeed(seed) {
    box.dataset.seed = String(seed);
    linkEl.setAttribute("href", `?q=${encodeURIComponent(kind)}&seed=${seed}#${encodeURIComponent(kind)}`);
    input.value = "";
    worked.replaceChildren();
  }

  input.addEventListener("focus", () => { const live = runtime(); if (live) live.ensure(); });
  form.addEventListener("submit", (event) => { event.preventDefault(); ask("grade"); });
  form.querySelector('[data-action="reveal"]').addEventListener("click", () => ask("reveal"));
  form.querySelector('[data-action="another"]').addEventListener("click", () => {
    const seed = freshSeed(Number(box.dataset.seed));
    showSeed(seed);
    history.replaceState(history.state, "", questionURL(kind, seed));
    ask("question");
  });
  return { kind, showSeed, ask, cancel: () => { latest += 1; } };
}

let pageCount = 0;

function setupPage() {
  const page = document.querySelector("[data-practice-page]");
  if (!page || page.dataset.practiceReady) return;
  page.dataset.practiceReady = "1";
  pageCount += 1;
  const pageId = `practice-${pageCount}`;
  const boxes = [...page.querySelectorAll("[data-practice]")].map((box) => setupBox(box, page, pageId));
  showProgress(page);
  const forget = document.querySelector("[data-practice-forget]");
  if (forget) {
    forget.hidden = false;
    forget.addEventListener("click", () => {
      try { localStorage.removeItem(STORAGE_KEY); } catch { /* nothing kept */ }
      showProgress(page);
    });
  }
  // A link ?q=KIND&seed=N reproduces that question: it counts as intent. On a
  // first load search-on-intent.js took q out of the URL before Material's
  // search could see it (window.practiceLink): put the link back.
  const params = new URLSearchParams(location.search);
  const link = window.practiceLink || { q: params.get("q"), seed: params.get("seed") };
  window.practiceLink = null;
  const wanted = boxes.find((b) => b.kind === link.q);
  const seedText = link.seed;
  if (!wanted) return;
  const seedPart = seedText === null ? "" : `&seed=${encodeURIComponent(seedText)}`;
  history.replaceState(history.state, "", `${location.pathname}?q=${encodeURIComponent(wanted.kind)}${seedPart}${location.hash}`);
  const target = document.getElementById(wanted.kind);
  if (target) target.scrollIntoView();
  if (seedText === null) return;
  if (!/^\d{1,6}$/.test(seedText)) {
    const box = target;
    const status = box.querySelector("[data-practice-status]");
    status.textContent = `The link's seed must be a whole number from 0 to 999,999, got "${seedText.slice(0, 20)}"; this is the default question.`;
    status.dataset.state = "error";
    return;
  }
  wanted.showSeed(Number(seedText));
  wanted.ask("question");
}

if (typeof document$ !== "undefined") {
  document$.subscribe(() => setupPage());
} else {
  setupPage();
}
