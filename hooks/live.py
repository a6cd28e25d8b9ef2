"""MkDocs hook: cells, calculators, formulas, the browser runtime and the CSP (fieldguide.build)."""

from fieldguide.build.hooks import (  # noqa: F401
    on_config,
    on_page_content,
    on_post_build,
    on_startup,
)
