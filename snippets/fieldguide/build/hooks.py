"""MkDocs event handlers; ``hooks/live.py`` and ``hooks/numbers.py`` only import these.

The project root is the folder of the MkDocs config file, so the build works
from any installed copy of this package.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

from fieldguide.build import assets, fences, numbers
from fieldguide.build.wheels import BuildError

_runtime: dict[str, assets.Runtime] = {}


def project_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_config(config):
    """Register the fences; build (or reuse) the wheel and editor bundle; publish their URLs."""
    try:
        runtime = assets.prepare(project_root(config))
    except BuildError as exc:
        raise PluginError(str(exc)) from None
    _runtime["current"] = runtime
    config.extra["live"] = runtime.urls()
    fences.register(config.mdx_configs)
    return config


def on_page_markdown(markdown, page, config, files):
    """Replace ``{{ calc.NAME(...) }}`` placeholders; a bad one stops the build, naming the page."""
    try:
        return numbers.replace_placeholders(markdown, page.file.src_path)
    except ValueError as exc:
        raise PluginError(str(exc)) from None


def on_post_build(config):
    """Copy Pyodide, the wheels, the lock, bundles and fonts into the site."""
    assets.copy_into(_runtime["current"], Path(config.site_dir))
