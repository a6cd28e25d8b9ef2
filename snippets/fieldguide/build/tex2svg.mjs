// Render TeX formulas to SVG with MathJax 3 (npm `mathjax`, run by Node at build time).
//
// stdin:  JSON [{"tex": "G \\times p", "display": false}, ...]
// stdout: JSON {"css": "<MathJax's style sheet for SVG output>",
//                "svg": ["<mjx-container ...><svg ...>...</svg><mjx-assistive-mml>...</mjx-assistive-mml></mjx-container>", ...]}
//
// Each SVG carries its own glyph paths (fontCache "none": no IDs shared between
// formulas, so cached formulas combine on any page), and a hidden MathML copy
// for screen readers (assistive MathML). A TeX error exits 1 and names the formula.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.cwd() + "/");
const errors = [];
const MathJax = await require("mathjax").init({
  loader: { load: ["input/tex-full", "output/svg", "a11y/assistive-mml"] },
  tex: {
    packages: { "[-]": ["noundefined"] }, // an unknown macro is an error, not red text
    formatError: (jax, err) => {
      errors.push(err.message);
      return jax.formatError(err);
    },
  },
  svg: { fontCache: "none" },
  startup: { typeset: false },
});

const items = JSON.parse(readFileSync(0, "utf8"));
const adaptor = MathJax.startup.adaptor;
const out = items.map(({ tex, display }) => {
  const before = errors.length;
  const html = adaptor.outerHTML(MathJax.tex2svg(tex, { display }));
  if (errors.length > before) {
    console.error(`TeX error in ${JSON.stringify(tex)}: ${errors[errors.length - 1]}`);
    process.exitCode = 1;
  }
  return html;
});
const css = adaptor.textContent(MathJax.svgStylesheet());
process.stdout.write(JSON.stringify({ css, svg: out }));
