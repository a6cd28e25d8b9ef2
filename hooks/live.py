"""MkDocs hook: build-time cells and the self-hosted browser runtime.

What it does, in build order:

* ``on_config``: registers the ``pycell`` fence (runs each cell with
  ``fieldguide.cells.run_cell`` and writes its output into the HTML), builds the
  ``servecalc`` wheel with no network, bundles the editor with esbuild, and
  records content hashes of every browser asset in ``config.extra.live`` for the
  templates.
* ``on_post_build``: copies the Pyodide core from ``node_modules/pyodide``, the
  wheel (under a path that carries its hash), a copy of ``pyodide-lock.json``
  that registers the wheel, the bundles, fonts and MathJax into the site.

Nothing here downloads anything: Python packages come from the virtual
environment, browser assets from ``node_modules`` (``npm ci``).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pymdownx.superfences import SuperFencesException

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
WEB = ROOT / "web"
NODE_MODULES = ROOT / "node_modules"
BUILD = ROOT / "build"
PYWHEELS = BUILD / "pywheels"  # pygal and its imports, from `make deps`

# Build against the working tree's servecalc, whatever the environment holds.
if str(SNIPPETS) not in sys.path:
    sys.path.insert(0, str(SNIPPETS))

from fieldguide.calculators import get_calculator, render, render_form_html  # noqa: E402
from fieldguide.cells import display_text, run_cell  # noqa: E402

PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
FONT_FILES = {
    "@fontsource/inter/files": [
        "inter-latin-400-normal.woff2",
        "inter-latin-400-italic.woff2",
        "inter-latin-700-normal.woff2",
        "inter-latin-700-italic.woff2",
    ],
    "@fontsource/jetbrains-mono/files": [
        "jetbrains-mono-latin-400-normal.woff2",
        "jetbrains-mono-latin-700-normal.woff2",
    ],
}
MATHJAX = "mathjax/es5/tex-svg-full.js"
DEFAULT_TIMEOUT_S = 10

_state: dict = {}


# --------------------------------------------------------------------------- cells


def _validate_cell(language, inputs, options, attrs, md) -> bool:
    """Accept ``timeout="N"`` (seconds) and ``raises="ErrorType"`` on a pycell fence."""
    for key, value in inputs.items():
        if key == "timeout" and value.isdigit() and int(value) > 0:
            options[key] = int(value)
        elif key == "raises" and value.isidentifier():
            options[key] = value
        else:
            return False
    return True


def format_cell(source, language, css_class, options, md, **kwargs) -> str:
    """Run the cell now and emit its code and build-time output.

    The browser script turns the block into an editor with Run, Stop and Reset;
    without JavaScript it stays a static code block with its real output.
    """
    result = run_cell(source)
    expected = options.get("raises")
    error = result["error"]
    if expected:
        if not error or not error.startswith(expected + ":"):
            raise SuperFencesException(
                f"cell was expected to raise {expected}, got {error or 'no error'}:\n{source}"
            )
    elif error:
        raise SuperFencesException(f"cell failed at build time with {error}:\n{source}")
    code = highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))
    timeout = options.get("timeout", DEFAULT_TIMEOUT_S)
    state = "error" if error else "static"
    return (
        f'<div class="live-cell" data-live-cell data-timeout-s="{timeout}">'
        f'<div class="highlight"><pre><code class="language-python">{code}</code></pre></div>'
        f'<pre class="cell-output" data-output data-state="{state}">'
        f"{html.escape(display_text(result))}</pre>"
        "</div>"
    )


def format_calculator(source, language, css_class, options, md, **kwargs) -> str:
    """A calculator form with its build-time result (fence body: the calculator's ID)."""
    name = source.strip()
    try:
        calc = get_calculator(name)
        result = render(name, {})
    except ValueError as exc:
        raise SuperFencesException(f"calculator {name!r}: {exc}") from exc
    return (
        f'<div class="calculator" data-calculator="{html.escape(calc.id)}"'
        f' data-long-running="{int(calc.long_running)}">'
        f'<p class="calc-title">{html.escape(calc.title)}</p>'
        f"{render_form_html(name)}"
        '<div class="calc-status" data-calc-status aria-live="polite"></div>'
        f'<div class="calc-result" data-calc-result data-state="static">{result}</div>'
        "</div>"
    )


# --------------------------------------------------------------------------- assets


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(cmd: list[str], what: str, env: dict | None = None) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise PluginError(f"{what} failed ({' '.join(cmd)}):\n{proc.stdout}\n{proc.stderr}")


def _require_node_modules() -> None:
    if not (NODE_MODULES / "pyodide" / "pyodide.mjs").exists():
        raise PluginError(
            "node_modules/pyodide is missing: run `npm ci` (or `make serve`, which does it)"
        )


def build_wheel(out_dir: Path) -> Path:
    """Build the servecalc wheel with no network (the backend comes from the venv).

    SOURCE_DATE_EPOCH fixes the zip timestamps, so the hash only moves when the
    code does.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("servecalc-*.whl"):
        old.unlink()
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "--wheel-dir", tmp, str(ROOT)],
            "building the servecalc wheel",
            env=env,
        )
        (wheel,) = Path(tmp).glob("servecalc-*.whl")
        target = out_dir / wheel.name
        shutil.move(str(wheel), target)
    return target


def bundle_editor(out_file: Path) -> Path:
    """Bundle CodeMirror 6 and the Python mode into one ES module with esbuild."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [str(NODE_MODULES / ".bin" / "esbuild"), str(WEB / "editor.js"), "--bundle",
         "--format=esm", "--minify", "--log-level=warning", f"--outfile={out_file}"],
        "bundling the editor with esbuild",
    )
    return out_file


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def wheel_lock_entry(wheel: Path, file_name: str) -> dict:
    """A pyodide-lock.json entry for a pure-Python wheel (what pyodide-lock would write).

    ``depends`` lists the wheel's unconditional requirements and those without
    an ``extra`` marker (Pyodide's Python is new enough for the version ones).
    """
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in zf.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    depends = sorted(
        _canonical(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
        for req in requires
        if "extra ==" not in req
    )
    name, version = wheel.name.split("-")[:2]
    return {
        "name": _canonical(name),
        "version": version,
        "file_name": file_name,
        "install_dir": "site",
        "sha256": _sha256(wheel),
        "package_type": "package",
        "imports": sorted(t.removesuffix(".py") for t in tops),
        "depends": depends,
        "unvendored_tests": False,
    }


def make_lock(base_lock: Path, entries: list[dict]) -> tuple[str, str]:
    """A lock listing only our wheels, and its hashed file name.

    The npm Pyodide folder holds no package wheels, so listing the CDN-only
    packages would only invite failed fetches.
    """
    lock = json.loads(base_lock.read_text())
    lock["packages"] = {entry["name"]: entry for entry in entries}
    text = json.dumps(lock, indent=1, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"pyodide-lock-{digest}.json", text


def on_config(config):
    _require_node_modules()
    live_build = BUILD / "live"
    wheel = build_wheel(BUILD / "wheel")
    extra_wheels = sorted(PYWHEELS.glob("*.whl"))
    if not extra_wheels:
        raise PluginError(f"{PYWHEELS} holds no wheels: run `make deps` (it downloads pygal for the browser)")
    wheels = {w: f"wheels/{_sha256(w)[:16]}/{w.name}" for w in [wheel, *extra_wheels]}
    editor = bundle_editor(live_build / "editor.js")
    sources = {
        "cells.js": WEB / "cells.js",
        "worker.js": WEB / "worker.js",
        "cells.css": WEB / "cells.css",
        "fonts.css": WEB / "fonts.css",
        "mathjax-config.js": WEB / "mathjax-config.js",
        "editor.js": editor,
    }
    versions = {name: _sha256(path)[:12] for name, path in sources.items()}
    lock_name, lock_text = make_lock(
        NODE_MODULES / "pyodide" / "pyodide-lock.json",
        [wheel_lock_entry(w, path) for w, path in wheels.items()],
    )
    _state.update(wheels=wheels, sources=sources, lock=(lock_name, lock_text))
    config.extra["live"] = {
        name.replace(".", "_").replace("-", "_"): f"assets/live/{name}?v={version}"
        for name, version in versions.items()
    } | {
        "pyodide_index": "assets/pyodide/",
        "lock": f"assets/pyodide/{lock_name}",
        "mathjax": "assets/vendor/mathjax/tex-svg-full.js",
    }
    fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault(
        "custom_fences", []
    )
    if not any(fence.get("name") == "pycell" for fence in fences):
        fences.append(
            {"name": "pycell", "class": "pycell", "format": format_cell,
             "validator": _validate_cell}
        )
        fences.append({"name": "calculator", "class": "calculator", "format": format_calculator})
    return config


def on_post_build(config):
    site = Path(config.site_dir)
    pyodide_src = NODE_MODULES / "pyodide"
    pyodide_dst = site / "assets" / "pyodide"
    pyodide_dst.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_CORE:
        shutil.copy2(pyodide_src / name, pyodide_dst / name)
    for wheel, path in _state["wheels"].items():
        (pyodide_dst / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(wheel, pyodide_dst / path)
    lock_name, lock_text = _state["lock"]
    (pyodide_dst / lock_name).write_text(lock_text)
    live_dst = site / "assets" / "live"
    live_dst.mkdir(parents=True, exist_ok=True)
    for name, path in _state["sources"].items():
        shutil.copy2(path, live_dst / name)
    fonts_dst = site / "assets" / "fonts"
    fonts_dst.mkdir(parents=True, exist_ok=True)
    for folder, names in FONT_FILES.items():
        for name in names:
            shutil.copy2(NODE_MODULES / folder / name, fonts_dst / name)
    mathjax_dst = site / "assets" / "vendor" / "mathjax"
    mathjax_dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(NODE_MODULES / MATHJAX, mathjax_dst / Path(MATHJAX).name)
