// Boxes that scroll sideways (a wide formula, table or cell output on a narrow
// screen) must be reachable from the keyboard, so that arrow keys can scroll
// them (WCAG 2.1.1; axe's rule "scrollable-region-focusable"). A box gets
// tabindex="0" and a name while it overflows, and loses them when it fits, so
// boxes that fit add no tab stops. Checked again after every page change
// (Material's instant navigation, a cell's output, a calculator's redraw) and
// resize.
(() => {
  // What each kind of box is called when a screen reader lands on it.
  const BOXES = {
    ".md-typeset div.arithmatex": "formula",
    ".md-typeset__scrollwrap": "table",
    ".md-typeset table.calc-table": "",
    ".md-typeset pre.cell-output": "output",
    ".md-typeset .highlight-ipynb": "code",
  };
  const SELECTOR = Object.keys(BOXES).join(", ");
  const MARK = "data-scroll-focus";
  let queued = false;

  function update() {
    queued = false;
    for (const box of document.querySelectorAll(SELECTOR)) {
      const overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute(MARK, "");
        // A table keeps its own role (a region would hide it from table navigation).
        if (box.tagName !== "TABLE" && !box.hasAttribute("aria-label") && !box.hasAttribute("role")) {
          box.setAttribute("role", "region");
          const kind = Object.keys(BOXES).find((selector) => box.matches(selector));
          box.setAttribute("aria-label", `${BOXES[kind]}, scrolls sideways`);
        }
      } else if (!overflows && box.hasAttribute(MARK)) {
        box.removeAttribute("tabindex");
        box.removeAttribute(MARK);
        if ((box.getAttribute("aria-label") || "").endsWith(", scrolls sideways")) {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      }
    }
  }
  function schedule() {
    if (!queued) {
      queued = true;
      requestAnimationFrame(update);
    }
  }

  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
  addEventListener("resize", schedule);
  addEventListener("load", schedule);
  document.addEventListener("DOMContentLoaded", schedule);
  matchMedia("print").addEventListener("change", schedule);
})();
