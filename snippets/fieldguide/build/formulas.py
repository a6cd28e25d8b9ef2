"""Formulas typeset when the site is built: TeX in, SVG out, no math script at read time.

Pages keep writing ``\\( ... \\)`` and ``\\[ ... \\]``; pymdownx.arithmatex
(``generic: true``) wraps each in ``<span class="arithmatex">`` or
``<div class="arithmatex">``. :func:`typeset` replaces the TeX inside with the
SVG that MathJax 3 (npm ``mathjax``, run by Node: ``tex2svg.mjs``) draws, and
a hidden MathML copy for screen readers. The PDF prints the same SVG.

Each formula is rendered once: the results are kept in
``build/cache/formulas/<hash of the renderer>.json``, keyed by the TeX, so a
rebuild only runs Node for a new formula. A TeX error stops the build.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
from pathlib import Path

from fieldguide.build.cache import write_text_whole
from fieldguide.build.wheels import BuildError

RENDERER = Path(__file__).with_name("tex2svg.mjs")
ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.S
)


class Typesetter:
    """Renders formulas through Node and MathJax, with a cache on disk."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        renderer_digest = hashlib.sha256(
            RENDERER.read_bytes() + (root / "package-lock.json").read_bytes()
        ).hexdigest()[:16]
        self.cache_file = cache_dir / f"{renderer_digest}.json"
        self.cache: dict = (
            json.loads(self.cache_file.read_text(encoding="utf-8"))
            if self.cache_file.exists() else {"css": "", "svg": {}}
        )

    @staticmethod
    def key(tex: str, display: bool) -> str:
        return hashlib.sha256(f"{int(display)}{tex}".encode()).hexdigest()[:20]

    def render(self, items: list[tuple[str, bool]]) -> list[str]:
        """The SVG markup of each (TeX, display) item, rendering only what is not cached."""
        missing = {self.key(t, d): (t, d) for t, d in items if self.key(t, d) not in self.cache["svg"]}
        if missing or not self.cache["css"]:
            todo = list(missing.values()) or [("x", False)]
            proc = subprocess.run(
                ["node", str(RENDERER)],
                input=json.dumps([{"tex": t, "display": d} for t, d in todo]),
                cwd=self.root, capture_output=True, text=True,
            )
            if proc.returncode != 0:
                raise BuildError(f"typesetting formulas failed:\n{proc.stderr.strip()}")
            result = json.loads(proc.stdout)
            self.cache["css"] = result["css"]
            if missing:
                self.cache["svg"].update(zip(missing, result["svg"]))
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            for old in self.cache_file.parent.glob("*.json"):
                if old != self.cache_file:
                    old.unlink(missing_ok=True)      # another build may have removed it
            write_text_whole(self.cache_file, json.dumps(self.cache, sort_keys=True))
        return [self.cache["svg"][self.key(t, d)] for t, d in items]

    def css(self) -> str:
        """MathJax's style sheet for its SVG output (display formulas, the hidden MathML)."""
        if not self.cache["css"]:
            self.render([])
        return self.cache["css"]


def _tex(body: str) -> tuple[str, bool]:
    """``\\(x\\)`` (HTML-escaped, as arithmatex writes it) -> ("x", False)."""
    text = html.unescape(body).strip()
    if text.startswith("\\[") and text.endswith("\\]"):
        return text[2:-2].strip(), True
    if text.startswith("\\(") and text.endswith("\\)"):
        return text[2:-2].strip(), False
    raise BuildError(f"arithmatex block without \\( \\) or \\[ \\] delimiters: {body[:80]!r}")


def typeset(page_html: str, typesetter: Typesetter) -> str:
    """Every arithmatex formula of a page's HTML replaced by its SVG."""
    matches = list(ARITHMATEX.finditer(page_html))
    if not matches:
        return page_html
    svgs = iter(typesetter.render([_tex(m.group("body")) for m in matches]))
    return ARITHMATEX.sub(
        lambda m: f'<{m.group("tag")} class="arithmatex">{next(svgs)}</{m.group("tag")}>',
        page_html,
    )
