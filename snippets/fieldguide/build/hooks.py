"""MkDocs event handlers; ``hooks/live.py`` and ``hooks/numbers.py`` only import these.

The project root is the folder of the MkDocs config file, so the build works
from any installed copy of this package. In build order:

* ``on_startup``: notes whether this is ``mkdocs serve`` (see :mod:`.csp`);
* ``on_config``: builds (or reuses) the wheel and the editor bundle, makes the
  formulas' and charts' style sheets, keeps simulated answers in
  ``build/cache/memo`` (:mod:`servecalc.memo`: the PDF's print build and the
  tests reuse them), publishes the hashed URLs to the
  templates (``config.extra.live``) and registers the fences;
* ``on_page_markdown``: ``{{ calc.NAME(...) }}`` placeholders;
* ``on_page_content``: formulas to SVG. It runs before other plugins' handlers
  (priority 50), so the print page of the PDF gets the same HTML;
* ``on_post_build``: copies the runtime into the site and puts the
  Content-Security-Policy into every page (not in
  the print site of the PDF, which is never served to readers and whose
  Paged.js layout writes inline styles).
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from fieldguide.build import assets, csp, fences, formulas, numbers
from fieldguide.build.wheels import BuildError
from fieldguide.charts import chart_css
from fieldguide.diagrams.svg import diagram_css
from servecalc.memo import DISK_ENV

_state: dict = {"serving": False}


def project_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_startup(command, dirty):
    _state["serving"] = command == "serve"


def on_config(config):
    """Register the fences; build (or reuse) the runtime files; publish their URLs."""
    root = project_root(config)
    # A value set by the caller (the tests) wins.
    os.environ.setdefault(DISK_ENV, str(root / "build" / "cache" / "memo"))
    try:
        typesetter = formulas.Typesetter(root, root / "build" / "cache" / "formulas")
        runtime = assets.prepare(root, {"math.css": typesetter.css(), "charts.css": chart_css() + "\n" + diagram_css()})
    except BuildError as exc:
        raise PluginError(str(exc)) from None
    _state.update(runtime=runtime, typesetter=typesetter)
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
    """Typeset formulas."""
    try:
        html = formulas.typeset(html, _state["typesetter"])
    except BuildError as exc:
        raise PluginError(f"{page.file.src_path}: {exc}") from None
    return html


def on_post_build(config):
    """Copy the runtime, set every page's CSP."""
    site = Path(config.site_dir)
    assets.copy_into(_state["runtime"], site)
    if "print-site" not in config.plugins:
        csp.apply_to_site(site, serving=_state["serving"])
