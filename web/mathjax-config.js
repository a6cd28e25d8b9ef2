// MathJax 3 (vendored from npm) for pymdownx.arithmatex and notebook Markdown.
// It is 2 MB, so it loads only on a page that has math, when it first has.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: "[^ ]+",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
};

(() => {
  const src = new URL(document.currentScript.dataset.mathjax, document.baseURI).href;
  let requested = false;
  function typeset() {
    if (!document.querySelector(".arithmatex, .jp-RenderedMarkdown")) return;
    if (window.MathJax.typesetPromise) {
      // Material's instant navigation swapped the page: typeset the new one.
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    } else if (!requested) {
      requested = true; // MathJax typesets the page itself once loaded
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      document.head.appendChild(script);
    }
  }
  if (typeof document$ !== "undefined") document$.subscribe(typeset);
  else document.addEventListener("DOMContentLoaded", typeset);
})();
