"""What a reader sees on a page, measured in Chromium: the views a page is read in and
the checks run on each (tests/browser/test_rendering.py).

The pages are the ones the navigation links to (not a hand-kept list), so a
new chapter is checked as soon as it is in the nav.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin

ROOT = Path(__file__).resolve().parents[2]

#: axe-core, pinned in package.json (`npm ci` puts it here); AXE_CORE_JS may name
#: another copy of the same file.
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
#: WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Rules switched off, each with why it cannot pass in markup we do not write.
#: (None so far: every finding was fixed in the guide's own style sheets and markup.)
AXE_DISABLED: dict[str, str] = {}

#: Runs axe on the whole page: every rule of the tags, or only those named.
RUN_AXE = """async ([tags, only, disabled]) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
  const runOnly = only.length ? { type: "rule", values: only } : { type: "tag", values: tags };
  const result = await axe.run(document, { runOnly, rules, resultTypes: ["violations"] });
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} element(s), e.g. `
    + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


@dataclass(frozen=True)
class View:
    """A way of reading the guide: a window size, a colour scheme, screen or print."""

    name: str
    width: int
    height: int
    scheme: str = "light"
    media: str = "screen"

    def apply(self, page) -> None:
        """Resize and re-emulate a loaded page (no reload: its colour scheme must match)."""
        page.set_viewport_size({"width": self.width, "height": self.height})
        page.emulate_media(media=self.media, color_scheme=self.scheme)


#: A desktop and a phone (an iPhone 12-15: 390 x 844 CSS pixels), light and dark,
#: and print (an A4 page is about 794 CSS pixels wide). Material picks its
#: palette from the colour scheme when a page loads, so a page is loaded once
#: per scheme and each view of that scheme is then applied to it in place.
#: Print is checked in the light palette: a browser prints no page backgrounds,
#: and the PDF is built light.
VIEWS = [
    View("desktop-light", 1440, 900),
    View("phone-light", 390, 844),
    View("print", 794, 1123, media="print"),
    View("desktop-dark", 1440, 900, "dark"),
    View("phone-dark", 390, 844, "dark"),
]


def by_scheme(views=VIEWS) -> dict[str, list[View]]:
    """The views grouped by colour scheme, in order.

    >>> {scheme: [v.name for v in vs] for scheme, vs in by_scheme().items()}["dark"]
    ['desktop-dark', 'phone-dark']
    """
    groups: dict[str, list[View]] = {}
    for view in views:
        groups.setdefault(view.scheme, []).append(view)
    return groups


NAV_LINKS = """() => [...document.querySelectorAll("nav.md-nav--primary a.md-nav__link[href]")]
  .map((a) => a.href)"""


def nav_pages(page, base_url: str) -> list[str]:
    """Every page the navigation links to (absolute URLs, in nav order, home first)."""
    page.goto(base_url)
    urls = [base_url]
    for href in page.evaluate(NAV_LINKS):
        url = urldefrag(urljoin(base_url, href)).url
        if url.startswith(base_url) and url not in urls:
            urls.append(url)
    return urls


# One pass over the page: formulas' rendered sizes, diagrams' alt text and text
# sizes, chart and diagram text against what is actually behind it, and
# anything that makes the page scroll sideways.
MEASURE = r"""() => {
  const rgba = (text) => {
    if (!text || text === "none" || text === "transparent") return [0, 0, 0, 0];
    const m = text.match(/rgba?\(([^)]*)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => {   // "source over" of two colours, alpha last
    const a = top[3] + below[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + below[i] * below[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  };
  const luminance = (c) => {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].slice(0, 2).map((c) => "." + c).join("");
  // The opacity an SVG element is painted with: its own and its SVG ancestors'.
  const svgOpacity = (el, svg) => {
    let o = 1;
    for (let e = el; e && e !== svg.parentElement; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const paint = (el, svg) => {
    const style = getComputedStyle(el);
    const fill = rgba(style.fill);
    if (!fill) return null;
    fill[3] *= parseFloat(style.fillOpacity) * svgOpacity(el, svg);
    return fill;
  };

  const out = { scheme: document.body.getAttribute("data-md-color-scheme"),
                formulas: [], charts: 0, texts: 0, contrast: [], overflow: [],
                diagrams: 0, diagram_text: [] };

  // A formula is drawn at its own size (MathJax gives it in ex of the text around
  // it): a wide display formula scrolls on screen; print may shrink one to fit
  // the column, to no less than half.
  const printing = matchMedia("print").matches;
  for (const svg of document.querySelectorAll("mjx-container > svg")) {
    if (!svg.checkVisibility({ visibilityProperty: true })) continue;   // in a closed <details>
    const r = svg.getBoundingClientRect();
    const own = [svg.width.baseVal.value, svg.height.baseVal.value];
    const scale = Math.min(r.width / own[0], r.height / own[1]);
    if (r.height < 6 || r.width < 4 || scale < (printing ? 0.5 : 0.9)) {
      const mml = svg.parentElement.querySelector("mjx-assistive-mml");
      out.formulas.push(`${(mml ? mml.textContent : "?").slice(0, 40)}: ${r.width.toFixed(1)} x `
        + `${r.height.toFixed(1)} px, ${Math.round(scale * 100)} % of its size`);
    }
  }

  // A diagram (fieldguide.diagrams) is named by its title and described by its
  // desc, and its text is drawn at least 10 px tall on screen (8 in print).
  for (const svg of document.querySelectorAll("svg.diagram")) {
    if (!svg.checkVisibility({ visibilityProperty: true })) continue;
    out.diagrams += 1;
    const label = svg.getAttribute("aria-labelledby");
    const title = label && document.getElementById(label);
    if (svg.getAttribute("role") !== "img" || !title || !title.textContent.trim()) {
      out.diagram_text.push(`a diagram without alt text (${svg.parentElement.id || "?"})`);
    }
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll("text")) {
      const px = parseFloat(text.getAttribute("font-size")) * scale;
      if (px < (printing ? 8 : 10)) {
        out.diagram_text.push(`"${text.textContent.slice(0, 30)}" in ${svg.parentElement.id}: ${px.toFixed(1)} px`);
        break;
      }
    }
  }

  for (const svg of document.querySelectorAll("svg.pygal-chart, svg.diagram")) {
    if (!svg.checkVisibility({ visibilityProperty: true })) continue;
    out.charts += 1;
    const rects = [...svg.querySelectorAll("rect")];
    // What lies under the SVG: the page's backgrounds, from the SVG up to the canvas (white).
    const below = [];
    for (let e = svg.parentElement; e; e = e.parentElement) below.push(rgba(getComputedStyle(e).backgroundColor) || [0, 0, 0, 0]);
    let page = [255, 255, 255, 1];
    for (const layer of below.reverse()) page = over(layer, page);
    for (const text of svg.querySelectorAll("text")) {
      if (!text.textContent.trim() || !text.checkVisibility({ visibilityProperty: true })) continue;
      const colour = paint(text, svg);
      if (!colour || colour[3] === 0) continue;    // not painted (a hidden tooltip)
      out.texts += 1;
      const t = text.getBoundingClientRect();
      const [x, y] = [t.left + t.width / 2, t.top + t.height / 2];
      let behind = page;
      for (const rect of rects) {   // painted before the text and under its centre
        if (!(rect.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
        const b = rect.getBoundingClientRect();
        if (x < b.left || x > b.right || y < b.top || y > b.bottom) continue;
        const fill = paint(rect, svg);
        if (fill) behind = over(fill, behind);
      }
      const seen = over(colour, behind);
      const r = ratio(seen, behind);
      if (r < 4.5) {
        const round = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(", ")})`;
        out.contrast.push(`"${text.textContent.trim().slice(0, 30)}" ${round(seen)} on ${round(behind)}: ${r.toFixed(2)}:1`);
      }
    }
  }

  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    // The outermost elements that stick out on the right: their parent does not.
    const clipped = (el) => {
      for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
        if (getComputedStyle(e).overflowX !== "visible") return true;
      }
      return false;
    };
    const culprits = [...document.body.querySelectorAll("*")].filter((el) => {
      if (!el.checkVisibility() || clipped(el)) return false;
      const right = el.getBoundingClientRect().right;
      const parent = el.parentElement.getBoundingClientRect().right;
      return right > width + 1 && parent <= width + 1;
    });
    out.overflow = [`page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`,
                    ...culprits.slice(0, 4).map((el) => `${name(el)} ends at ${Math.round(el.getBoundingClientRect().right)} px`)];
  }
  return out;
}"""
