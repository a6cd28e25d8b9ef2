// Bundle the editor (web/editor.js: CodeMirror 6 and its Python mode) into one
// minified ES module with esbuild. Run by fieldguide.build.assets:
//
//   node bundle_editor.mjs <entry.js> <out.js>
//
// One change to a dependency, made here at bundle time and checked: style-mod
// (CodeMirror's style injector) writes its rules into a <style> element when
// it styles a document, and into an adopted CSSStyleSheet only for a shadow
// root. A <style> element made at run time would need 'unsafe-inline' in the
// site's Content-Security-Policy; an adopted style sheet (CSSOM) is not
// governed by it. So documents get the adopted sheet too (Chromium, Firefox
// and Safari all support document.adoptedStyleSheets).
import { build } from "esbuild";
import { readFile } from "node:fs/promises";

const [entry, outfile] = process.argv.slice(2);
const FROM = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
const TO = "if (root.adoptedStyleSheets && win.CSSStyleSheet) {";

const adoptedStyleSheets = {
  name: "style-mod-adopted-style-sheets",
  setup(b) {
    b.onLoad({ filter: /[\\/]style-mod[\\/]src[\\/]style-mod\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes(FROM)) {
        throw new Error(`style-mod changed: ${args.path} no longer has the line to patch`);
      }
      return { contents: source.replace(FROM, TO), loader: "js" };
    });
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  minify: true,
  logLevel: "warning",
  plugins: [adoptedStyleSheets],
});
