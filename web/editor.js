// Entry point bundled by esbuild (hooks/live.py) into one ES module:
// CodeMirror 6 with the Python mode, themed from Material's CSS variables.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Prec } from "@codemirror/state";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

const theme = EditorView.theme({
  "&": {
    color: "var(--md-code-fg-color)",
    backgroundColor: "var(--md-code-bg-color)",
    fontSize: "0.85em",
  },
  ".cm-content": { fontFamily: "var(--md-code-font-family)", caretColor: "var(--md-code-fg-color)" },
  ".cm-gutters": {
    backgroundColor: "var(--md-code-bg-color)",
    color: "var(--md-default-fg-color--light)",
    border: "none",
  },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--md-default-fg-color--lightest)" },
  "&.cm-focused": { outline: "2px solid var(--md-accent-fg-color)" },
});

/**
 * Mount an editor in `parent` holding `doc`; Ctrl/Cmd+Enter calls `onRun`.
 * Returns {getCode, setCode, focus}.
 */
export function createEditor(parent, doc, onRun, label) {
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      basicSetup,
      python(),
      indentUnit.of("    "),
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label || "Python cell" }),
      Prec.highest(
        keymap.of([
          { key: "Mod-Enter", run: () => { onRun(); return true; } },
          { key: "Shift-Enter", run: () => { onRun(); return true; } },
        ]),
      ),
    ],
  });
  return {
    getCode: () => view.state.doc.toString(),
    setCode: (text) =>
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
    view,
  };
}
