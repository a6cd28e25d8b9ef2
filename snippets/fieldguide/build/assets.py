"""The browser runtime's files: what the build makes and copies into the site.

* the wheels (the project's, built by :mod:`fieldguide.build.wheels`; pygal and
  its imports, downloaded hash-checked by ``make deps`` into ``build/pywheels``)
  under ``assets/pyodide/wheels/<sha256 prefix>/``, and a copy of
  ``pyodide-lock.json`` that registers them;
* the Pyodide core from ``node_modules/pyodide``;
* the editor bundle (CodeMirror 6, bundled by esbuild, once per change of its
  inputs), the runtime scripts and style sheets from ``web/``, each under a
  URL that carries its content hash;
* the self-hosted fonts from ``@fontsource``;
* style sheets made by the build (the formulas' and the charts'), hashed too.

Nothing here downloads anything: Python packages come from the virtual
environment, browser assets from ``node_modules`` (``npm ci``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fieldguide.build.cache import cached, inputs_digest, write_text_whole
from fieldguide.build.wheels import (
    BuildError,
    cached_wheel,
    make_lock,
    run_tool,
    sha256,
    wheel_lock_entry,
)

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
#: Files of web/ served as they are under assets/live/.
WEB_SOURCES = ["cells.js", "worker.js", "cells.css", "page.css", "page.js", "fonts.css",
               "search-on-intent.js", "practice.js", "practice.css"]
BUNDLER = Path(__file__).with_name("bundle_editor.mjs")


def require_node_modules(root: Path) -> None:
    """Fail with the command to run when ``npm ci`` has not been run."""
    if not (root / "node_modules" / "pyodide" / "pyodide.mjs").exists():
        raise BuildError("node_modules/pyodide is missing: run `npm ci` (or `make serve`, which does it)")


def bundle_editor(root: Path, out_file: Path) -> Path:
    """Bundle CodeMirror 6 and the Python mode into one ES module (esbuild; bundle_editor.mjs)."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    run_tool(
        ["node", str(BUNDLER), str(root / "web" / "editor.js"), str(out_file)],
        "bundling the editor with esbuild",
        cwd=root,
    )
    return out_file


def cached_editor(root: Path, cache_dir: Path) -> Path:
    """:func:`bundle_editor`, run only when web/editor.js, the bundler or the npm lock changed."""
    digest = inputs_digest(
        root, [root / "web" / "editor.js", root / "package-lock.json"], BUNDLER.read_text()
    )
    return cached(cache_dir, digest, lambda folder: bundle_editor(root, folder / "editor.js"))


@dataclass
class Runtime:
    """Where each browser file comes from and the URL (relative to the site) it gets."""

    root: Path
    wheels: dict[Path, str] = field(default_factory=dict)   # file -> path under assets/pyodide/
    sources: dict[str, Path] = field(default_factory=dict)  # name under assets/live/ -> file
    lock: tuple[str, str] = ("", "")                        # file name, text

    def urls(self) -> dict[str, str]:
        """Template URLs (``config.extra.live``): hashed, relative to the site root."""
        return {
            name.replace(".", "_").replace("-", "_"): f"assets/live/{name}?v={sha256(path)[:12]}"
            for name, path in self.sources.items()
        } | {
            "pyodide_index": "assets/pyodide/",
            "lock": f"assets/pyodide/{self.lock[0]}",
        }


def prepare(root: Path, generated: dict[str, str]) -> Runtime:
    """Build (or reuse) the wheel and the editor bundle and register the wheels.

    ``generated`` maps a file name under assets/live/ to text the build made
    (a style sheet); it is written under build/generated/.
    """
    require_node_modules(root)
    build = root / "build"
    wheel = cached_wheel(root, build / "cache" / "wheel")
    extra_wheels = sorted((build / "pywheels").glob("*.whl"))
    if not extra_wheels:
        raise BuildError(
            f"{build / 'pywheels'} holds no wheels: run `make deps` (it downloads pygal for the browser)"
        )
    wheels = {w: f"wheels/{sha256(w)[:16]}/{w.name}" for w in [wheel, *extra_wheels]}
    sources = {name: root / "web" / name for name in WEB_SOURCES}
    sources["editor.js"] = cached_editor(root, build / "cache" / "editor")
    for name, text in generated.items():
        path = build / "generated" / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_text_whole(path, text)
        sources[name] = path
    lock = make_lock(
        root / "node_modules" / "pyodide" / "pyodide-lock.json",
        [wheel_lock_entry(w, path) for w, path in wheels.items()],
    )
    return Runtime(root=root, wheels=wheels, sources=sources, lock=lock)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def copy_into(runtime: Runtime, site: Path) -> None:
    """Copy every runtime file into the built site."""
    node_modules = runtime.root / "node_modules"
    pyodide_dst = site / "assets" / "pyodide"
    for name in PYODIDE_CORE:
        _copy(node_modules / "pyodide" / name, pyodide_dst / name)
    for wheel, path in runtime.wheels.items():
        _copy(wheel, pyodide_dst / path)
    lock_name, lock_text = runtime.lock
    (pyodide_dst / lock_name).write_text(lock_text)
    for name, path in runtime.sources.items():
        _copy(path, site / "assets" / "live" / name)
    for folder, names in FONT_FILES.items():
        for name in names:
            _copy(node_modules / folder / name, site / "assets" / "fonts" / name)
