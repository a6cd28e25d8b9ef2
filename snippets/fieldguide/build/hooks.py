"""MkDocs event handlers; ``hooks/live.py`` and ``hooks/numbers.py`` only import these.

The project root is the folder of the MkDocs config file, so the build works
from any installed copy of this package. In build order:

* ``on_startup``: notes whether this is ``mkdocs serve`` (see :mod:`.csp`);
* ``on_config``: builds (or reuses) the wheel and the editor bundle, makes the
  formulas' and charts' style sheets, keeps simulated answers in
  ``build/cache/memo`` (:mod:`servecalc.memo`: the notebooks' kernels, the PDF's
  print build and the tests reuse them), publishes the hashed URLs to the
  templates (``config.extra.live``) and registers the fences;
* ``on_page_markdown``: ``{{ calc.NAME(...) }}`` placeholders;
* ``on_page_content``: formulas to SVG; a notebook's inline styles and unused
  scripts out. It runs before other plugins' handlers (priority 50), so the
  print page of the PDF gets the same HTML;
* ``on_post_page``: a notebook page links the notebooks' style sheet;
* ``on_post_build``: copies the runtime into the site, writes the notebooks'
  style sheet, and puts the Content-Security-Policy into every page (not in
  the print site of the PDF, which is never served to readers and whose
  Paged.js layout writes inline styles).
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

from fieldguide.build import assets, csp, fences, formulas, notebooks, numbers
from fieldguide.build.wheels import BuildError
from fieldguide.charts import chart_css
from fieldguide.diagrams.svg import diagram_css
from servecalc.memo import DISK_ENV

NOTEBOOK_CSS_DIR = "assets/notebook"
_state: dict = {"serving": False}


def project_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_startup(command, dirty):
    _state["serving"] = command == "serve"


def on_config(config):
    """Register the fences; build (or reuse) the runtime files; publish their URLs."""
    root = project_root(config)
    # Inherited by the notebooks' kernels too; a value set by the caller (the tests) wins.
    os.environ.setdefault(DISK_ENV, str(root / "build" / "cache" / "memo"))
    try:
        typesetter = formulas.Typesetter(root, root / "build" / "cache" / "formulas")
        runtime = assets.prepare(root, {"math.css": typesetter.css(), "charts.css": chart_css() + "\n" + diagram_css()})
    except BuildError as exc:
        raise PluginError(str(exc)) from None
    _state.pop("notebook_css", None)
    _state.update(runtime=runtime, typesetter=typesetter, notebook_styles=[], notebook_classes=set())
    config.extra["live"] = runtime.urls()
    fences.register(config.mdx_configs)
    return config


def on_page_markdown(markdown, page, config, files):
    """Replace ``{{ calc.NAME(...) }}`` placeholders; a bad one stops the build, naming the page."""
    try:
        return numbers.replace_placeholders(markdown, page.file.src_path)
    except ValueError as exc:
        raise PluginError(str(exc)) from None


@event_priority(50)
def on_page_content(html, page, config, files):
    """Typeset formulas; take a notebook's inline styles and scripts out."""
    try:
        html = formulas.typeset(html, _state["typesetter"])
        if notebooks.is_notebook(html):
            html = notebooks.strip_page_styles(html, _state["notebook_styles"])
            _state["notebook_classes"] |= notebooks.classes(html)
            html = formulas.typeset_notebook(html, _state["typesetter"])
    except BuildError as exc:
        raise PluginError(f"{page.file.src_path}: {exc}") from None
    return html


def _notebook_css() -> tuple[str, str]:
    if "notebook_css" not in _state:  # once per build: every notebook's classes are known
        _state["notebook_css"] = notebooks.stylesheet(_state["notebook_styles"], _state["notebook_classes"])
    return _state["notebook_css"]


def on_post_page(output, page, config):
    """A page that shows a notebook (its own, or the print page) links their style sheet."""
    if not notebooks.is_notebook(output):
        return output
    name, _ = _notebook_css()
    return notebooks.link_stylesheet(output, get_relative_url(f"{NOTEBOOK_CSS_DIR}/{name}", page.url))


def on_post_build(config):
    """Copy the runtime, write the notebooks' style sheet, set every page's CSP."""
    site = Path(config.site_dir)
    assets.copy_into(_state["runtime"], site)
    if _state["notebook_styles"]:
        name, text = _notebook_css()
        (site / NOTEBOOK_CSS_DIR).mkdir(parents=True, exist_ok=True)
        (site / NOTEBOOK_CSS_DIR / name).write_text(text, encoding="utf-8")
    if "print-site" not in config.plugins:
        csp.apply_to_site(site, serving=_state["serving"])
