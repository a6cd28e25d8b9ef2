"""MkDocs hook: build-time cells and calculators, and the browser runtime (fieldguide.build)."""

from fieldguide.build.hooks import on_config, on_post_build  # noqa: F401
